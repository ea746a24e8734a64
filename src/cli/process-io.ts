import { JsonReporter } from '../events/json-reporter.ts';
import { PrettyReporter } from '../events/pretty-reporter.ts';
import type { Reporter, TextOut } from '../events/reporter.ts';
import type { Redactor } from '../secrets/redact.ts';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** What a job process takes from the real process; tests can hand in their own. */
export interface ProcessIO {
  /** The job's arguments (process.argv without node and the script). */
  argv: readonly string[];
  /** The environment to read options from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where relative paths resolve. */
  cwd: string;
  /** Shared by everything that prints; main adds the secrets once config is known. */
  redactor: Redactor;
  /** Where events go. */
  stdout: TextOut;
  /** Where errors are copied (for cron's MAILTO and `2>>`). */
  stderr: TextOut;
  /** Whether stdout is a terminal: pretty output under `--log-format auto`. */
  stdoutIsTTY: boolean;
  /** Calls back on SIGINT/SIGTERM with how many signals came so far; returns a detach function. */
  onSignal(handler: (signal: string, count: number) => void): () => void;
  /** Calls back once when the process that started this one is gone (--exit-with-parent); returns a detach
   *  function. Absent: there is no parent to watch (a test's in-process run). */
  watchParent?(handler: (reason: string) => void): () => void;
  /** Rejects on an uncaught exception or unhandled rejection. */
  crash: Promise<never>;
  /** Prints the message to stderr and exits with the code at once (a second signal). */
  exitNow(code: number, message: string): never;
  /** Sees the reporter of each run, so the process can still report a run that never ends. */
  watchRun?(reporter: Reporter): Reporter;
}

export function createReporter(format: LogFormat, io: ProcessIO): Reporter {
  const pretty = format === 'pretty' || (format === 'auto' && io.stdoutIsTTY);
  const reporter = pretty ? new PrettyReporter(io.stdout, io.stderr) : new JsonReporter();
  return io.watchRun?.(reporter) ?? reporter;
}
