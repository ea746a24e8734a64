import ms from 'ms';
import type { RunRecord } from '../stores/store.ts';

export interface HealthPolicy {
  /** The last successful run must have finished less than this long ago (ms). */
  maxAgeMs?: number;
  /** …and have read at least this many records. */
  minRecords: number;
  now: Date;
}

export interface Health {
  ok: boolean;
  /** Why not, one sentence per problem; empty when ok. */
  problems: string[];
  summary: string;
  lastRun: RunRecord | null;
  lastSuccess: RunRecord | null;
}

/** Judges a job's run history, newest first: never ran, failed, too old, too few records. */
export function evaluateHealth(runs: readonly RunRecord[], policy: HealthPolicy): Health {
  const finished = runs.filter((r) => r.status !== 'running');
  const lastRun = finished[0] ?? null;
  const lastSuccess = finished.find((r) => r.status === 'succeeded') ?? null;
  const problems: string[] = [];
  if (!lastRun) problems.push('never ran: no finished run in the history');
  if (lastRun && lastRun.status !== 'succeeded') {
    const what = lastRun.error
      ? `with ${lastRun.error.code}: ${lastRun.error.message}`
      : `with exit code ${lastRun.exitCode}`;
    problems.push(`last run ${lastRun.status} at ${lastRun.finishedAt ?? lastRun.startedAt} ${what}`);
  }
  if (lastRun && !lastSuccess) problems.push('no run has ever succeeded');
  if (lastSuccess && policy.maxAgeMs !== undefined) {
    const age = policy.now.getTime() - Date.parse(lastSuccess.finishedAt ?? lastSuccess.startedAt);
    if (age > policy.maxAgeMs) {
      problems.push(
        `too old: the last success finished ${span(age)} ago, ${span(age - policy.maxAgeMs)} over --max-age ${asFlag(policy.maxAgeMs)}`,
      );
    }
  }
  if (lastSuccess && lastSuccess.counts.read < policy.minRecords) {
    problems.push(
      `too few records: the last success read ${lastSuccess.counts.read}, fewer than --min-records ${policy.minRecords}`,
    );
  }
  const summary =
    problems.length === 0 && lastSuccess
      ? `OK: last success at ${lastSuccess.finishedAt}, ${lastSuccess.counts.read} records read`
      : `FAILING: ${problems.join('; ')}`;
  return { ok: problems.length === 0, problems, summary, lastRun, lastSuccess };
}

const UNITS: [number, string, string][] = [
  [86_400_000, 'd', 'day'],
  [3_600_000, 'h', 'hour'],
  [60_000, 'm', 'minute'],
  [1000, 's', 'second'],
];

/** A duration as a person reads it, to two units: `1 day 2 hours` (ms alone would say `1 day`). */
function span(value: number): string {
  if (value < 60_000) return ms(value, { long: true });
  const parts: string[] = [];
  let rest = value;
  for (const [size, , name] of UNITS) {
    const n = Math.floor(rest / size);
    if (n === 0 && parts.length === 0) continue;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    rest -= n * size;
    if (parts.length === 2 || (parts.length === 1 && n === 0)) break;
  }
  return parts.join(' ');
}

/** A duration as the flag took it, exactly: 25h stays `25h`, never a rounded `1d`. */
function asFlag(value: number): string {
  const unit = UNITS.find(([size]) => value >= size && value % size === 0);
  return unit ? `${value / unit[0]}${unit[1]}` : `${value}ms`;
}
