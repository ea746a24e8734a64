import { fstatSync } from 'node:fs';
import { ConfigError } from '../errors/errors.ts';
import { Redactor } from '../secrets/redact.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import { emptyCounts, envelope, type StartEvent } from '../events/protocol.ts';
import { pipeSink } from '../events/pipe-sink.ts';
import type { Reporter } from '../events/reporter.ts';
import type { Job } from '../job/types.ts';
import { main, reportUsageError } from './main.ts';
import { watchParent } from './parent-watch.ts';
import type { ProcessIO } from './process-io.ts';

// How long a finished process may wait for stray handles (keep-alive sockets, timers) before it exits anyway.
const EXIT_GRACE_MS = 2000;
// How long a run may take to stop once its parent has gone: nobody is left to send a second signal.
const ORPHAN_GRACE_MS = 5000;
// How long a run may take to stop after SIGINT/SIGTERM. A batch commits or rolls back in far less;
// a run still going is stuck on I/O that never ends (a FIFO without a writer), and `timeout`,
// cron wrappers and many hosts send one signal only.
const STOP_GRACE_MS = 10_000;

/**
 * The entry point of a job process: the only place that reads process.argv and process.env
 * and decides the exit code. It never calls process.exit() early: stdout to a pipe drains first.
 */
export async function runMain(job: Job, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const signals = listenForSignals();
  const watch = new RunWatch();
  const cwd = workingDirectory();
  const base = processIO(argv, signals, cwd ?? '');
  if (cwd === undefined) {
    process.exitCode = reportUsageError(job.name, cwdGone(), base);
    return;
  }
  const io: ProcessIO = {
    ...base,
    watchRun: (reporter: Reporter) => watch.track(reporter),
    onSignal: (handler) =>
      base.onSignal((signal, count) => {
        if (count === 1) setTimeout(() => reportStuck(job, watch, signal), STOP_GRACE_MS).unref();
        handler(signal, count);
      }),
  };
  const unsettled = () => reportUnsettled(job, watch);
  process.once('beforeExit', unsettled);
  try {
    process.exitCode = await main(job, io);
  } catch (error) {
    process.stderr.write(
      `${job.name}: unexpected error: ${io.redactor.string(String((error as Error)?.stack ?? error))}\n`,
    );
    process.exitCode = 1;
  }
  process.off('beforeExit', unsettled);
  signals.finished = true;
  if (signals.received > 0) process.exit(); // asked to stop as the run ended: do not wait on stray handles
  // A host slow to read gets every line, the result last; one that never reads can still stop the job by a signal.
  await Promise.all([pipeSink(1).drained(), pipeSink(2).drained()]);
  // Left to itself, Node closes its signal handles while it tears down after the last event, and a
  // SIGTERM in that moment kills the process (exit 143) after it printed its result. Leaving from
  // the 'exit' event, when nothing is left to print, skips that teardown.
  process.once('exit', () => process.exit());
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}

/** The run in progress as printed so far: its start, and whether its result followed. */
class RunWatch {
  reporter: Reporter | undefined;
  start: StartEvent | undefined;
  ended = false;

  track(reporter: Reporter): Reporter {
    this.reporter = reporter;
    return {
      emit: (event) => {
        if (event.type === 'start') this.start = event;
        if (event.type === 'result') this.ended = true;
        reporter.emit(event);
      },
      close: () => reporter.close?.(),
    };
  }
}

/**
 * The last resort when the event loop drains while main still awaits something that can never
 * settle: without it the process would exit 0 (13 from source) and print nothing, and a host would
 * take a cut-short import for a success. It is a bug in ferry by definition: exit 1, said twice.
 */
function reportUnsettled(job: Job, watch: RunWatch): void {
  const message =
    'the run was left waiting for something that can never happen (a bug in ferry: please report it); ' +
    'what it committed stays: run it again';
  emitResult(job, watch, 'failed', ExitCode.bug, { code: 'UNSETTLED', message, retryable: false });
  process.stderr.write(`${job.name}: ${message}\n`);
  process.exitCode = ExitCode.bug;
}

/** The run did not stop within STOP_GRACE_MS of a signal: say so in its result line, and leave. */
function reportStuck(job: Job, watch: RunWatch, signal: string): void {
  const message =
    `received ${signal} and did not stop within ${STOP_GRACE_MS / 1000} s: it was waiting on a read or ` +
    'a server that does not answer; what it committed stays: run it again';
  emitResult(job, watch, 'cancelled', ExitCode.cancelled, { code: 'CANCELLED', message, retryable: false });
  process.stderr.write(`${job.name}: ${message}\n`);
  process.exit(ExitCode.cancelled);
}

/** A result line for a run that printed its start and no result yet. */
function emitResult(
  job: Job,
  watch: RunWatch,
  status: 'failed' | 'cancelled',
  exitCode: number,
  error: { code: string; message: string; retryable: boolean },
): void {
  const { reporter, start } = watch;
  if (!reporter || !start || watch.ended) return;
  reporter.emit({
    ...envelope(),
    type: 'result',
    job: job.name,
    runId: start.runId,
    status,
    exitCode,
    dryRun: start.dryRun,
    counts: emptyCounts(),
    durationMs: Math.max(0, Date.now() - Date.parse(start.ts)),
    error,
  });
  reporter.close?.();
}

interface Signals {
  /** While a run is in progress: it decides what a signal does (cancel, or exit on the second). */
  handler: ((signal: string) => void) | undefined;
  received: number;
  finished: boolean;
}

/**
 * One listener for the whole life of the process. Removing the last listener would give the
 * signal back its default action, killing a process that has finished its run and printed a
 * successful result. Outside a run, a signal exits at once: 130 before the run, the run's
 * own code after it.
 */
function listenForSignals(): Signals {
  const signals: Signals = { handler: undefined, received: 0, finished: false };
  const listener = (signal: NodeJS.Signals) => {
    signals.received++;
    if (signals.handler) return signals.handler(signal);
    process.exit(signals.finished ? undefined : ExitCode.cancelled);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return signals;
}

/**
 * The working directory, or undefined when it was deleted (a cron or a script started in a
 * folder removed since): process.cwd() then throws, and thrown here, before any handler could
 * report it, the process used to end 0 with no line at all.
 */
export function workingDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/** The deleted working directory as a config error: the caller fixes it by where it starts the job. */
export function cwdGone(): ConfigError {
  return new ConfigError(
    'the working directory no longer exists (it was deleted or moved after this process was started in it): ' +
      'start the job from a folder that exists (cron: cd into one first; systemd: WorkingDirectory=)',
    { code: 'CWD_GONE' },
  );
}

function processIO(argv: readonly string[], signals: Signals, cwd: string): ProcessIO {
  const redactor = new Redactor();
  const crash = new Promise<never>((_, reject) => {
    process.on('uncaughtException', reject);
    process.on('unhandledRejection', reject);
  });
  crash.catch((error: unknown) => {
    // During the run, runJob reports the crash. After it, a late failure still makes the exit non-zero.
    if (process.exitCode === undefined) return;
    if (process.exitCode === 0) process.exitCode = 1;
    process.stderr.write(`uncaught after the run: ${redactor.string(String((error as Error)?.stack ?? error))}\n`);
  });
  return {
    redactor,
    argv,
    env: process.env,
    cwd,
    // Touched only when used: creating process.stdout costs start-up time that a JSON run never needs.
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    stdoutIsTTY: isTerminal(1),
    crash,
    watchParent(handler) {
      return watchParent((reason) => {
        signals.received++; // as a signal: leave as soon as the run has stopped
        setTimeout(() => process.exit(ExitCode.cancelled), ORPHAN_GRACE_MS).unref();
        handler(reason);
      });
    },
    onSignal(handler) {
      let count = 0;
      signals.handler = (signal) => handler(signal, ++count);
      return () => {
        signals.handler = undefined;
      };
    },
    exitNow(code, message) {
      process.stderr.write(message);
      process.exit(code);
    },
  };
}

/**
 * node:tty loads node:net and its streams (start-up time): ask it only about a character
 * device, which a pipe or a file (how hosts and cron run a job) never is.
 */
function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}
