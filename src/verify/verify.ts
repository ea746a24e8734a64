import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runJobProcess, type Ended, type JobCommand } from './job-process.ts';
import { compareSnapshots, describeDifferences, snapshotSqlite, type Snapshot } from './snapshot.ts';

export interface VerifyOptions extends JobCommand {
  /** Kill trials; default 20. */
  trials?: number;
  /** Also start two runs at once: one must exit 75. */
  concurrent?: boolean;
  /** How long the SIGTERM trial may take to exit 130; default 5000 ms. */
  termGraceMs?: number;
  /** A line per check and trial, as it happens. */
  onProgress?: (line: string) => void;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  checks: Check[];
  referenceMs: number;
}

/**
 * Proves a job retry-safe on the SQLite store, assuming its source does not change meanwhile:
 * a reference run; a rerun that changes nothing; kill trials (SIGKILL at random instants, some
 * several times) each run to completion and compared table by table with the reference; a
 * SIGTERM trial; optionally two runs at once.
 */
export async function verifyJob(options: VerifyOptions): Promise<VerifyReport> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-verify-'));
  const say = options.onProgress ?? (() => {});
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    say(`${ok ? '✔' : '✖'} ${name}: ${detail}`);
  };
  let n = 0;
  const freshDb = () => ['--db-path', path.join(dir, `run-${++n}.db`)];
  try {
    const referenceDb = freshDb();
    const reference = await runJobProcess(options, referenceDb);
    if (reference.code !== 0) {
      check('reference run', false, `exited ${reference.code ?? reference.signal}: ${lastLines(reference)}`);
      return { ok: false, checks, referenceMs: reference.ms };
    }
    const expected = snapshotSqlite(referenceDb[1] ?? '');
    check('reference run', true, `${Math.round(reference.ms)} ms, ${[...expected].map(([t, rows]) => `${t}: ${rows.size} rows`).join(', ')}`);

    const rerun = await runJobProcess(options, referenceDb);
    const rerunDiff = compareSnapshots(expected, snapshotSqlite(referenceDb[1] ?? ''));
    const wrote = (rerun.counts?.inserted ?? 0) + (rerun.counts?.updated ?? 0) + (rerun.counts?.deleted ?? 0);
    check('rerun changes nothing', rerun.code === 0 && wrote === 0 && rerunDiff.length === 0,
      rerun.code !== 0 ? `exited ${rerun.code ?? rerun.signal}: ${lastLines(rerun)}`
        : wrote > 0 ? `the second run wrote again: ${JSON.stringify(rerun.counts)} (does it derive ids from something other than the data, or insert without a key?)`
          : rerunDiff.length > 0 ? describeDifferences(rerunDiff) : `0 inserted, 0 updated, ${rerun.counts?.unchanged ?? 0} unchanged`);

    for (let trial = 1; trial <= (options.trials ?? 20); trial++) {
      await killTrial(options, freshDb(), expected, reference.ms, trial, check);
    }
    await termTrial(options, freshDb(), expected, reference.ms, options.termGraceMs ?? 5000, check);
    if (options.concurrent) await concurrentTrial(options, freshDb(), check);
    const ok = checks.every((c) => c.ok);
    say(ok ? `retry-safe: all ${checks.length} checks hold` : `NOT retry-safe: ${checks.filter((c) => !c.ok).length} of ${checks.length} checks failed`);
    return { ok, checks, referenceMs: reference.ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type CheckFn = (name: string, ok: boolean, detail: string) => void;

async function killTrial(options: VerifyOptions, db: string[], expected: Snapshot, spanMs: number, trial: number, check: CheckFn): Promise<void> {
  const kills = trial % 4 === 0 ? 3 : 1; // every fourth trial is killed several times in a row
  const at: number[] = [];
  for (let k = 0; k < kills; k++) {
    const ms = Math.round(Math.random() * spanMs);
    const killed = await runJobProcess(options, db, { killAfterMs: ms });
    at.push(killed.signal === 'SIGKILL' ? ms : -1);
  }
  const final = await runJobProcess(options, db);
  const diff = final.code === 0 ? compareSnapshots(expected, snapshotSqlite(db[1] ?? '')) : [];
  const when = at.map((ms) => (ms < 0 ? 'after it ended' : `${ms} ms`)).join(', ');
  check(`kill trial ${trial}`, final.code === 0 && diff.length === 0,
    final.code !== 0 ? `killed at ${when}; the run to completion exited ${final.code}: ${lastLines(final)}`
      : diff.length > 0 ? `killed at ${when}; then the tables differ from the reference:\n${describeDifferences(diff)}` : `killed at ${when}; rerun matches the reference`);
}

async function termTrial(options: VerifyOptions, db: string[], expected: Snapshot, spanMs: number, graceMs: number, check: CheckFn): Promise<void> {
  const at = Math.round(spanMs * Math.random() * 0.5);
  const stopped = await runJobProcess(options, db, { termAfterMs: at, killAfterMs: spanMs + at + graceMs });
  // 0: it finished before the signal. A signal that lands while the process is already tearing down
  // (its result line is out, Node has dropped its handlers) ends it by SIGTERM: it had finished too.
  const finishedFirst = stopped.signal === 'SIGTERM' && stopped.counts !== undefined && /"exitCode":0/.test(stopped.stdout.trimEnd().split('\n').at(-1) ?? '');
  const exitedInTime = stopped.code === 130 || stopped.code === 0 || finishedFirst;
  const final = await runJobProcess(options, db);
  const diff = final.code === 0 ? compareSnapshots(expected, snapshotSqlite(db[1] ?? '')) : [];
  check('SIGTERM trial', exitedInTime && final.code === 0 && diff.length === 0,
    !exitedInTime ? `SIGTERM ${at} ms after start: expected exit 130 within ${graceMs} ms, got ${stopped.code ?? stopped.signal}`
      : final.code !== 0 ? `the rerun exited ${final.code}: ${lastLines(final)}`
        : diff.length > 0 ? describeDifferences(diff) : `SIGTERM ${at} ms after start: exit ${stopped.code}; rerun matches the reference`);
}

async function concurrentTrial(options: VerifyOptions, db: string[], check: CheckFn): Promise<void> {
  const [a, b] = await Promise.all([runJobProcess(options, db), runJobProcess(options, db)]);
  const codes = [a.code, b.code].sort();
  check('two runs at once', codes[0] === 0 && codes[1] === 75, `exit codes ${codes.join(' and ')} (one must succeed and one exit 75)`);
}

function lastLines(ended: Ended): string {
  return (ended.stderr.trim() || ended.stdout.trim()).split('\n').slice(-2).join(' | ').slice(0, 400);
}
