import { ConfigError } from '../errors/errors.ts';
import {
  ownDatabaseFlag,
  postgresDatabases,
  sqliteDatabases,
  type TrialDatabase,
  type TrialDatabases,
} from './databases.ts';
import { checkJobTarget, runJobProcess, type Ended, type JobCommand } from './job-process.ts';
import { compareSnapshots, describeDifferences, type Snapshot } from './snapshot.ts';

/** What {@link verifyJob} runs and how hard: the job, its flags, the trials, the database server. */
export interface VerifyOptions extends JobCommand {
  /** Kill trials; default 20. */
  trials?: number;
  /** Also start two runs at once: one must exit 75. */
  concurrent?: boolean;
  /** How long the SIGTERM trial may take to exit 130; default 5000 ms. */
  termGraceMs?: number;
  /** A line per check and trial, as it happens. */
  onProgress?: (line: string) => void;
  /**
   * A PostgreSQL server (postgres://…) to run on instead of SQLite files: each run gets a fresh
   * schema there (ferry_verify_<random>_<n>), and every one is dropped at the end.
   */
  databaseUrl?: string;
}

/** One check of a verify run, as printed on its line. */
export interface Check {
  /** e.g. `reference run`, `kill trial 3`, `SIGTERM trial`. */
  name: string;
  /** Whether it held; a check that could not be tried (`skipped`) does not fail the report. */
  ok: boolean;
  /** What happened, e.g. `killed 120 ms in; rerun matches the reference`. */
  detail: string;
  /** The job gave the check nothing to test (it ended before the signal), so it neither held nor failed. */
  skipped?: boolean;
}

/** What {@link verifyJob} found. */
export interface VerifyReport {
  /** Every check held (or was not tried); false when one failed. */
  ok: boolean;
  /** Each check in order, as printed. */
  checks: Check[];
  /** How long the reference run took: kill instants are drawn over this span. */
  referenceMs: number;
}

/**
 * Proves a job retry-safe on the SQLite store (or, given databaseUrl, on PostgreSQL), assuming its
 * source does not change meanwhile: a reference run; a rerun that changes nothing; kill trials
 * (SIGKILL at random instants, some several times) each run to completion and compared table by
 * table with the reference; a SIGTERM trial; optionally two runs at once. Each run has a database
 * of its own.
 */
export async function verifyJob(options: VerifyOptions): Promise<VerifyReport> {
  const { trials } = options;
  if (trials !== undefined && !(Number.isInteger(trials) && trials >= 0))
    throw new ConfigError(`trials ${String(trials)}: give a whole number, 0 or more`);
  checkJobTarget(options.target);
  const own = ownDatabaseFlag(options.args);
  if (own !== undefined)
    throw new ConfigError(
      `leave ${own} out of the job's flags; verify gives each run a fresh database (give verify --db-url to use PostgreSQL)`,
    );
  const databases =
    options.databaseUrl === undefined ? await sqliteDatabases() : postgresDatabases(options.databaseUrl);
  // The job's database is the flag verify gives it, never the DATABASE_URL of this process.
  const command: VerifyOptions = { ...options, env: { DATABASE_URL: undefined, ...options.env } };
  let report: VerifyReport;
  try {
    report = await verifyOn(command, databases);
  } catch (error) {
    // The first failure is the one to report; a failed clean-up is said, not thrown.
    await databases.dispose().catch((cleanup: unknown) => {
      options.onProgress?.(
        `could not remove the runs' databases${databases.where ? ` (${databases.where})` : ''}: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`,
      );
    });
    throw error;
  }
  await databases.dispose();
  return report;
}

async function verifyOn(options: VerifyOptions, databases: TrialDatabases): Promise<VerifyReport> {
  const say = options.onProgress ?? (() => {});
  const checks: Check[] = [];
  const check: CheckFn = (name, ok, detail, skipped = false) => {
    checks.push({ name, ok, detail, ...(skipped ? { skipped } : {}) });
    say(`${skipped ? '–' : ok ? '✔' : '✖'} ${name}: ${detail}`);
  };
  const referenceDb = await databases.fresh();
  const reference = await referenceTrial(options, referenceDb, databases.where, check);
  const { expected, ms } = reference;
  if (expected === undefined) return { ok: false, checks, referenceMs: ms };
  await rerunTrial(options, referenceDb, expected, reference.updated ?? 0, check);
  // Kill instants are drawn over a whole run's length: the reference's at first (often slow: cold
  // caches), then the shortest whole run a kill came too late for.
  let span = ms;
  for (let trial = 1; trial <= (options.trials ?? 20); trial++) {
    span = Math.min(span, await killTrial(options, await databases.fresh(), expected, span, trial, check));
  }
  await termTrial(options, databases, expected, ms, options.termGraceMs ?? 5000, check);
  if (options.concurrent) await concurrentTrial(options, databases, check);
  const ok = checks.every((c) => c.ok);
  say(summary(checks));
  return { ok, checks, referenceMs: ms };
}

function summary(checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.ok).length;
  if (failed > 0) return `NOT retry-safe: ${failed} of ${checks.length} checks failed`;
  const skipped = checks.filter((c) => c.skipped).map((c) => c.name);
  const held = checks.length - skipped.length;
  return skipped.length === 0
    ? `retry-safe: all ${held} checks hold`
    : `retry-safe: ${held} checks hold; not tried: ${skipped.join(', ')}`;
}

type CheckFn = (name: string, ok: boolean, detail: string, skipped?: boolean) => void;

/** The reference run: how long it took, and the tables every other run must end with (none: it failed). */
async function referenceTrial(
  options: VerifyOptions,
  db: TrialDatabase,
  where: string | undefined,
  check: CheckFn,
): Promise<{ expected?: Snapshot; ms: number; updated?: number }> {
  const suffix = where === undefined ? '' : ` (${where})`;
  const reference = await runJobProcess(options, db.args);
  // The job refused its flags: nothing can be proved, and the job is not to blame.
  if (reference.code === 64) throw new ConfigError(refusedFlags(reference, db.args[0]), { code: 'USAGE' });
  if (reference.code !== 0) {
    check('reference run', false, `exited ${reference.code ?? reference.signal}: ${lastLines(reference)}${suffix}`);
    return { ms: reference.ms };
  }
  const expected = await db.snapshot();
  check(
    'reference run',
    true,
    `${Math.round(reference.ms)} ms, ${[...expected].map(([t, rows]) => `${t}: ${rows.size} rows`).join(', ')}${suffix}`,
  );
  return { expected, ms: reference.ms, updated: reference.result?.counts.updated ?? 0 };
}

async function rerunTrial(
  options: VerifyOptions,
  db: TrialDatabase,
  expected: Snapshot,
  referenceUpdated: number,
  check: CheckFn,
): Promise<void> {
  const rerun = await runJobProcess(options, db.args);
  const rerunDiff = compareSnapshots(expected, await db.snapshot());
  const counts = rerun.result?.counts;
  const wrote = (counts?.inserted ?? 0) + (counts?.updated ?? 0) + (counts?.deleted ?? 0);
  check(
    'rerun changes nothing',
    rerun.code === 0 && wrote === 0 && rerunDiff.length === 0,
    rerun.code !== 0
      ? `exited ${rerun.code ?? rerun.signal}: ${lastLines(rerun)}`
      : wrote > 0
        ? `the second run wrote again: ${JSON.stringify(counts)} (${whyWroteAgain(referenceUpdated)})`
        : rerunDiff.length > 0
          ? describeDifferences(rerunDiff)
          : `0 inserted, 0 updated, ${counts?.unchanged ?? 0} unchanged`,
  );
}

/**
 * A first run on an empty database that updates rows it inserted itself: the source
 * holds a key more than once, and every run writes each repeat again, the last one winning.
 */
function whyWroteAgain(referenceUpdated: number): string {
  if (referenceUpdated === 0) return 'does it derive ids from something other than the data, or insert without a key?';
  return `the source repeats keys: the reference run, on an empty database, already updated ${referenceUpdated} rows it had inserted, and each run writes the repeats again, the last one winning; remove the repeats at the source, or key by columns that tell them apart`;
}

/** One kill trial; returns how long a whole run from a fresh database took, if the first kill came after it ended. */
async function killTrial(
  options: VerifyOptions,
  db: TrialDatabase,
  expected: Snapshot,
  spanMs: number,
  trial: number,
  check: CheckFn,
): Promise<number> {
  const kills = trial % 4 === 0 ? 3 : 1; // every fourth trial is killed several times in a row
  const runs: string[] = [];
  let wholeRunMs = Infinity;
  for (let k = 0; k < kills; k++) {
    const ms = Math.round(Math.random() * spanMs);
    const killed = await runJobProcess(options, db.args, { killAfterMs: ms });
    runs.push(
      killed.signal === 'SIGKILL' ? `killed ${ms} ms in` : `${endedBy(killed)} before the kill due ${ms} ms in`,
    );
    if (k === 0 && killed.signal !== 'SIGKILL' && killed.code === 0) wholeRunMs = killed.ms;
  }
  const final = await runJobProcess(options, db.args);
  const diff = final.code === 0 ? compareSnapshots(expected, await db.snapshot()) : [];
  const when = runs.join(', then ');
  check(
    `kill trial ${trial}`,
    final.code === 0 && diff.length === 0,
    final.code !== 0
      ? `${when}; the run to completion exited ${final.code}: ${lastLines(final)}`
      : diff.length > 0
        ? `${when}; then the tables differ from the reference:\n${describeDifferences(diff)}`
        : `${when}; rerun matches the reference`,
  );
  return wholeRunMs;
}

/** How a run ended on its own: `exited 0`, or the signal that ended it. */
function endedBy(ended: Ended): string {
  return ended.code === null ? `ended by ${ended.signal}` : `exited ${ended.code}`;
}

/**
 * SIGTERM at a random instant in the first half of a run: the job must exit 130, and a rerun must
 * end with the reference's tables. A job that ends first was not stopped: the trial is tried again
 * on a fresh database, earlier, and said not tried if the job always ends before the signal.
 */
async function termTrial(
  options: VerifyOptions,
  databases: TrialDatabases,
  expected: Snapshot,
  spanMs: number,
  graceMs: number,
  check: CheckFn,
): Promise<void> {
  const first = Math.round(spanMs * Math.random() * 0.5);
  let endedFirst = '';
  for (const at of [first, Math.round(first / 4), 0]) {
    const db = await databases.fresh();
    const stopped = await runJobProcess(options, db.args, { termAfterMs: at, killAfterMs: spanMs + at + graceMs });
    if (finishedBeforeSignal(stopped)) {
      const when =
        stopped.termSentMs === undefined
          ? `before the signal due ${at} ms in`
          : `as the signal came ${at} ms in (it had finished, or does not stop on SIGTERM)`;
      endedFirst = `exited 0 ${when}: not a SIGTERM trial`;
      continue;
    }
    const sent = `SIGTERM ${stopped.termSentMs ?? at} ms in`;
    if (stopped.code !== 130) {
      const got = stopped.signal === 'SIGKILL' ? `still running ${graceMs} ms later, killed` : endedBy(stopped);
      return check('SIGTERM trial', false, `${sent}: expected exit 130, ${got}: ${lastLines(stopped)}`);
    }
    const final = await runJobProcess(options, db.args);
    const diff = final.code === 0 ? compareSnapshots(expected, await db.snapshot()) : [];
    return check(
      'SIGTERM trial',
      final.code === 0 && diff.length === 0,
      final.code !== 0
        ? `exited 130 on ${sent}; the rerun exited ${final.code}: ${lastLines(final)}`
        : diff.length > 0
          ? `exited 130 on ${sent}; then ${describeDifferences(diff)}`
          : `exited 130 on ${sent}; rerun matches the reference`,
    );
  }
  check('SIGTERM trial', true, `${endedFirst} (3 tries, the last one signalled as soon as it started)`, true);
}

/**
 * The run ended with 0 before it could be stopped: the signal was never sent, or landed while the
 * process was tearing down (its result line out, Node's handlers dropped) and ended it by SIGTERM.
 */
function finishedBeforeSignal(stopped: Ended): boolean {
  return stopped.code === 0 || (stopped.signal === 'SIGTERM' && stopped.result?.exitCode === 0);
}

/**
 * Two runs started together, on a fresh database: one must exit 75. Both succeeding is also what
 * a working lock gives when one run ended before the other reached it (a slow start on a busy
 * machine), so that pair is tried again on another fresh database; a broken lock fails every try.
 */
async function concurrentTrial(options: VerifyOptions, databases: TrialDatabases, check: CheckFn): Promise<void> {
  const TRIES = 3;
  for (let attempt = 1; ; attempt++) {
    const db = await databases.fresh();
    const [a, b] = await Promise.all([runJobProcess(options, db.args), runJobProcess(options, db.args)]);
    const codes = [a.code, b.code].sort();
    const bothRan = codes[0] === 0 && codes[1] === 0;
    if (bothRan && attempt < TRIES) continue;
    const tries = attempt === 1 ? '' : ` (try ${attempt} of ${TRIES}; the earlier ones both exited 0)`;
    check(
      'two runs at once',
      codes[0] === 0 && codes[1] === 75,
      bothRan
        ? `exit codes 0 and 0 in all ${TRIES} tries: both ran to the end, so the second never met the first one's lock (one must succeed and one exit 75)`
        : `exit codes ${codes.join(' and ')}${tries} (one must succeed and one exit 75)`,
    );
    return;
  }
}

function refusedFlags(reference: Ended, dbFlag: string | undefined): string {
  const said = lastLines(reference);
  const noStore = dbFlag !== undefined && said.includes(`unknown option '${dbFlag}'`);
  return noStore
    ? `the job has no ${dbFlag}: verify proves a job that writes to a database (a store: sqlite(), postgres()); ` +
        `this one has none (${said})`
    : `the job exited 64 on its flags, a usage error: fix the flags after -- (${said})`;
}

function lastLines(ended: Ended): string {
  return (ended.stderr.trim() || ended.stdout.trim()).split('\n').slice(-2).join(' | ').slice(0, 400);
}
