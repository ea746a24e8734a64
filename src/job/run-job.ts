import { CancelledError, isErrorKind } from '../errors/errors.ts';
import { ExitCode, exitCodeFor, summarizeError } from '../errors/exit-codes.ts';
import { GuardError } from '../errors/guard-error.ts';
import {
  emptyCounts,
  envelope,
  type Counts,
  type FerryEvent,
  type LogLevel,
  type ResultError,
  type RunStatus,
} from '../events/protocol.ts';
import { nullReporter, type Reporter } from '../events/reporter.ts';
import { Redactor } from '../secrets/redact.ts';
import type { Checkpoint, Store } from '../stores/store.ts';
import { FERRY_VERSION } from '../version.ts';
import { Batcher } from './batcher.ts';
import { replayRejects } from './replay.ts';
import { newRunId } from './run-id.ts';
import { createContext, createLogger, schemaEvent } from './context.ts';
import type { ConfigOf, ConfigSchema } from '../config/options.ts';
import type { Job, Logger } from './types.ts';

/** How {@link runJob} runs a job in-process: where events go, how to stop it, its store and guards. */
export interface RunOptions {
  /** Where the events go (a {@link MemoryReporter} in tests); default nowhere. */
  reporter?: Reporter;
  /** Aborting it cancels the run (as SIGTERM does a job process): exit code 130. */
  signal?: AbortSignal;
  /** The least important log level reported; default `info`. */
  logLevel?: LogLevel;
  /** Do the whole run, then roll it back; the counts are what a real run would do. */
  dryRun?: boolean;
  /** The run's id; default a new time-ordered UUID. */
  runId?: string;
  /** The job's store, or how to open it (a failure to open is then the run's failure). */
  store?: Store | (() => Promise<Store>);
  /** Rows per transaction; each commits with the newest checkpoint. Default 1000. */
  batchSize?: number;
  /** More rejected records than this fail the run (65) and take back its writes. Default 0. */
  maxRejects?: number;
  /** A run that read fewer records fails (65) and takes back its writes. Default 0. */
  minRecords?: number;
  /** Sets the checkpoint aside: the job reads its whole source again. */
  fullRefresh?: boolean;
}

/**
 * What the job process (src/cli) adds to {@link RunOptions}, kept out of the public type: its
 * redactor, which knows the secrets of the command line, the process's crash, and `rejects --replay`.
 */
export interface CliRunOptions extends RunOptions {
  /** Redacts secrets from every event; default one that knows none. */
  redactor?: Redactor;
  /** replay: run the stored rejects through validation and write again, instead of the job's run. */
  mode?: 'run' | 'replay';
  /** Rejects when the process hits an uncaught exception or rejection: the run fails with it. */
  crash?: Promise<never>;
}

/** How a run ended: what its result line says. */
export interface RunResult {
  /** The run's id. */
  runId: string;
  /** `succeeded`, `failed` or `cancelled`. */
  status: RunStatus;
  /** The exit code a job process would end with: 0, 64, 65, 75, 130 or 1. */
  exitCode: number;
  /** What the run did to the data. */
  counts: Counts;
  /** How long it took. */
  durationMs: number;
  /** Why it failed; absent on success. */
  error?: ResultError;
}

/**
 * The whole life of one run, in-process and without touching the real process:
 * start → open store → lock → record the run → run → last batch → record the end → result.
 * Never throws; the result says what happened.
 */
export function runJob<S extends ConfigSchema>(
  job: Job<S>,
  config: ConfigOf<S>,
  options: RunOptions = {},
): Promise<RunResult> {
  return runJobFromCli(job, config, options);
}

/** {@link runJob} with what only the job process passes: its redactor, its crash, the replay mode. */
export async function runJobFromCli<S extends ConfigSchema>(
  job: Job<S>,
  config: ConfigOf<S>,
  options: CliRunOptions,
): Promise<RunResult> {
  const started = performance.now();
  const runId = options.runId ?? newRunId();
  const dryRun = options.dryRun ?? false;
  const redactor = options.redactor ?? new Redactor();
  const reporter = options.reporter ?? nullReporter;
  const emit = (event: FerryEvent) => reporter.emit(redactor.event(event));
  const signal = options.signal ?? new AbortController().signal;
  const log = createLogger(emit, options.logLevel ?? 'info');
  let counts = emptyCounts();
  let store: Store | undefined;
  let recorded = false;
  let batcher: Batcher | undefined;

  emit({
    ...envelope(),
    type: 'start',
    job: job.name,
    version: job.version,
    ferry: FERRY_VERSION,
    runId,
    pid: process.pid,
    dryRun,
  });
  let failure: unknown;
  try {
    let checkpoint: Checkpoint | undefined;
    if (options.store) {
      store = typeof options.store === 'function' ? await options.store() : options.store;
      await store.lock(job.name); // before anything is written: a second run writes nothing
      for (const change of await store.prepare(job.tables ?? {})) emit(schemaEvent(change));
      await store.startRun({ id: runId, job: job.name, dryRun });
      recorded = true;
      checkpoint = await usableCheckpoint(store, job.name, options.fullRefresh ?? false, log);
      batcher = new Batcher(store, {
        runId,
        job: job.name,
        batchSize: options.batchSize ?? 1000,
        counts,
        covered: checkpoint?.tables ?? [],
      });
    }
    const ctx = createContext({
      config,
      job: { name: job.name, version: job.version },
      runId,
      dryRun,
      signal,
      logLevel: options.logLevel ?? 'info',
      counts,
      emit,
      checkpoint: checkpoint?.value,
      batcher,
      maxRejects: options.maxRejects ?? 0,
      redactor,
    });
    ctx.throwIfCancelled();
    const work = options.mode === 'replay' && store && batcher ? replayRejects(job, ctx, store, batcher) : job.run(ctx);
    await Promise.race([work, ...(options.crash ? [options.crash] : [])]);
    await batcher?.flush();
    checkMinRecords(counts.read, options.minRecords ?? 0);
  } catch (error) {
    if (!(error instanceof GuardError)) batcher?.discard();
    failure =
      signal.aborted && !isErrorKind(error, 'cancelled')
        ? new CancelledError(reasonOf(signal), { cause: error })
        : error;
  }
  await batcher?.settle(); // a batch still committing finishes (or fails) before anything else touches the store
  if (failure instanceof GuardError && store && recorded)
    failure = await takeBack(store, batcher, runId, job.name, failure, log);

  const exitCode = failure === undefined ? ExitCode.ok : exitCodeFor(failure);
  const status: RunStatus =
    exitCode === ExitCode.ok ? 'succeeded' : exitCode === ExitCode.cancelled ? 'cancelled' : 'failed';
  const error = failure === undefined ? undefined : redactor.event(summarizeError(failure));
  if (failure !== undefined) logFailure(log, failure, exitCode);
  if (store)
    counts = await record(
      store,
      recorded,
      runId,
      { status, exitCode, read: counts.read, ...(error ? { error } : {}) },
      counts,
      log,
    );

  const result: RunResult = {
    runId,
    status,
    exitCode,
    counts: { ...counts },
    durationMs: Math.round(performance.now() - started),
    ...(error ? { error } : {}),
  };
  emit({ ...envelope(), type: 'result', job: job.name, dryRun, ...result });
  reporter.close?.();
  return result;
}

/** Records the end in the run history and closes the store; the result's counts come from there. */
async function record(
  store: Store,
  recorded: boolean,
  runId: string,
  end: Parameters<Store['finishRun']>[1],
  counts: Counts,
  log: Logger,
): Promise<Counts> {
  try {
    return recorded ? { ...(await store.finishRun(runId, end)), rejected: counts.rejected } : counts;
  } catch (error) {
    log.error(`could not record the run's end: ${(error as Error).message}`);
    return counts;
  } finally {
    await store.close();
  }
}

/**
 * The checkpoint to resume from, unless --full-refresh sets it aside, or a table it vouches for
 * is empty now (dropped, truncated or deleted from since): resuming would refill only what
 * changed after it, and the rest would be missing for good.
 */
async function usableCheckpoint(
  store: Store,
  job: string,
  fullRefresh: boolean,
  log: Logger,
): Promise<Checkpoint | undefined> {
  const checkpoint = await store.readCheckpoint(job);
  if (checkpoint === undefined) return undefined;
  if (fullRefresh) {
    log.info('--full-refresh: the checkpoint is set aside; reading the whole source again');
    return undefined;
  }
  for (const table of checkpoint.tables) {
    if (await store.isEmpty(table)) {
      log.warn(
        `table ${table} is empty, but the checkpoint says rows were imported into it: setting the checkpoint aside and reading the whole source again`,
        { code: 'CHECKPOINT_STALE' },
      );
      return undefined;
    }
  }
  return checkpoint;
}

function checkMinRecords(read: number, min: number): void {
  if (read < min) {
    throw new GuardError(
      `read ${read} records, fewer than --min-records ${min}: the source looks broken; nothing of this run is kept`,
      { code: 'TOO_FEW_RECORDS' },
    );
  }
}

/** A failed guard keeps nothing of the run but its rejects, which say why. */
async function takeBack(
  store: Store,
  batcher: Batcher | undefined,
  runId: string,
  job: string,
  failure: GuardError,
  log: Logger,
): Promise<unknown> {
  try {
    await batcher?.keepOnlyRejects();
    await store.undoRun(runId, job);
    log.info('took back every write of this run; the tables and checkpoint are as before it');
    return failure;
  } catch (error) {
    return error; // could not take back (e.g. the database went away): report that instead
  }
}

function reasonOf(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'cancelled';
}

function logFailure(log: Logger, failure: unknown, exitCode: number): void {
  const { code, message, retryable } = summarizeError(failure);
  if (exitCode === ExitCode.cancelled) return log.warn(`run cancelled: ${message}`, { code });
  const cause = failure instanceof Error && failure.cause instanceof Error ? { cause: failure.cause.message } : {};
  // A bug gets its stack; an expected failure (the classes) gets its code and cause.
  const stack = exitCode === ExitCode.bug && failure instanceof Error ? { stack: failure.stack } : {};
  log.error(`run failed: ${message}`, { code, retryable, ...cause, ...stack });
}
