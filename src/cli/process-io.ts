import { JsonReporter } from '../events/json-reporter.ts';
import { PrettyReporter } from '../events/pretty-reporter.ts';
import type { Reporter, TextOut } from '../events/reporter.ts';
import type { Redactor } from '../secrets/redact.ts';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** What a job process takes from the real process; tests can hand in their own. */
export interface ProcessIO {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Shared by everything that prints; main adds the secrets once config is known. */
  redactor: Redactor;
  stdout: TextOut;
  stderr: TextOut;
  stdoutIsTTY: boolean;
  /** Calls back on SIGINT/SIGTERM with how many signals came so far; returns a detach function. */
  onSignal(handler: (signal: string, count: number) => void): () => void;
  /** Rejects on an uncaught exception or unhandled rejection. */
  crash: Promise<never>;
  exitNow(code: number, message: string): never;
  /** Sees the reporter of each run, so the process can still report a run that never ends. */
  watchRun?(reporter: Reporter): Reporter;
}

export function createReporter(format: LogFormat, io: ProcessIO): Reporter {
  const pretty = format === 'pretty' || (format === 'auto' && io.stdoutIsTTY);
  const reporter = pretty ? new PrettyReporter(io.stdout, io.stderr) : new JsonReporter();
  return io.watchRun?.(reporter) ?? reporter;
}
