import { fstatSync } from 'node:fs';
import { Redactor } from '../secrets/redact.ts';
import type { Job } from '../job/types.ts';
import { main } from './main.ts';
import type { ProcessIO } from './process-io.ts';

// How long a finished process may wait for stray handles (keep-alive sockets, timers) before it exits anyway.
const EXIT_GRACE_MS = 2000;

/**
 * The entry point of a job process: the only place that reads process.argv and process.env
 * and decides the exit code. It never calls process.exit() early: stdout to a pipe drains first.
 */
export async function runMain(job: Job, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const signals = { received: 0 };
  const io = processIO(argv, signals);
  try {
    process.exitCode = await main(job, io);
  } catch (error) {
    process.stderr.write(`${job.name}: unexpected error: ${io.redactor.string(String((error as Error)?.stack ?? error))}\n`);
    process.exitCode = 1;
  }
  // The result is out. A signal now, or one that came as the run ended, must not leave the process
  // waiting on stray handles, nor turn a finished run into a killed one: exit with the run's code.
  if (signals.received > 0) process.exit();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit());
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}

function processIO(argv: readonly string[], signals: { received: number }): ProcessIO {
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
    cwd: process.cwd(),
    // Touched only when used: creating process.stdout costs ~2 ms that a JSON run never needs.
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    stdoutIsTTY: isTerminal(1),
    crash,
    onSignal(handler) {
      let count = 0;
      const listener = (signal: NodeJS.Signals) => {
        signals.received++;
        handler(signal, ++count);
      };
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
    exitNow(code, message) {
      process.stderr.write(message);
      process.exit(code);
    },
  };
}

/**
 * node:tty loads node:net and its streams (~4 ms at start-up): ask it only about a character
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
