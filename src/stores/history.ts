import { emptyCounts, type Counts } from '../events/protocol.ts';
import { parseJson } from '../values/exact-json.ts';
import type { KeptEnd } from './dialect.ts';
import type { RunRecord, StoredReject } from './store.ts';

/** The columns of _ferry_runs a RunRecord is made of. */
export const RUN_COLUMNS =
  'id, job, started_at, finished_at, status, exit_code, dry_run, read, inserted, updated, unchanged, deleted, rejected, error_code, error_message';

/** A timestamp as either store returns it (SQLite: ISO text; PostgreSQL: a Date). */
export const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

export function toCounts(row: Partial<Record<keyof Counts, unknown>> | undefined): Counts {
  const counts = emptyCounts();
  for (const key of Object.keys(counts) as (keyof Counts)[]) counts[key] = Number(row?.[key] ?? 0);
  return counts;
}

export function toRunRecord(r: Record<string, unknown>): RunRecord {
  return {
    id: String(r.id),
    job: String(r.job),
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at === null ? null : iso(r.finished_at),
    status: r.status as RunRecord['status'],
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    dryRun: r.dry_run === true || r.dry_run === 1,
    counts: toCounts(r),
    error: r.error_code === null ? null : { code: String(r.error_code), message: String(r.error_message) },
  };
}

export function toReject(r: Record<string, unknown>): StoredReject {
  return {
    id: String(r.id),
    runId: String(r.run_id),
    source: String(r.source),
    position: parseJson(String(r.position)) as StoredReject['position'],
    raw: parseJson(String(r.raw)),
    reason: String(r.reason),
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
  };
}

/** A run still marked running whose end was kept elsewhere (the database would not take it) is told as it ended. */
export function withKeptEnd(run: RunRecord, kept: readonly KeptEnd[]): RunRecord {
  const end = run.status === 'running' ? kept.find((k) => k.runId === run.id) : undefined;
  if (!end) return run;
  const error = end.errorCode === null ? null : { code: end.errorCode, message: end.errorMessage ?? '' };
  return {
    ...run,
    status: end.status as RunRecord['status'],
    exitCode: end.exitCode,
    finishedAt: end.finishedAt,
    counts: { ...run.counts, read: end.read },
    error,
  };
}
