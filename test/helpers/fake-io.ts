import type { ProcessIO } from '../../src/cli/process-io.ts';
import { JsonReporter } from '../../src/events/json-reporter.ts';
import { Redactor } from '../../src/secrets/redact.ts';

/** A job process's world for `main(job, io)` in-process: its argv, environment and working directory. */
export interface FakeProcess {
  argv?: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * A ProcessIO that keeps what the job prints: stdout and stderr as a pipe would get them (JSON
 * lines, errors copied to stderr), and never a signal or a crash.
 */
export function fakeIO(process: FakeProcess = {}): { io: ProcessIO; stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  const out = { write: (text: string) => (stdout += text) };
  const err = { write: (text: string) => (stderr += text) };
  const io: ProcessIO = {
    argv: process.argv ?? [],
    env: process.env ?? {},
    cwd: process.cwd ?? '/',
    redactor: new Redactor(),
    stdout: out,
    stderr: err,
    stdoutIsTTY: false,
    onSignal: () => () => {},
    crash: new Promise<never>(() => {}),
    exitNow: () => {
      throw new Error('exitNow: a fake process never gets a second signal');
    },
    // The JSON reporter writes to fd 1 by default; this one writes where the test reads.
    watchRun: () => new JsonReporter({ stdout: out, stderr: err }),
  };
  return { io, stdout: () => stdout, stderr: () => stderr };
}
