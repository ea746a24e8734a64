import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface JobCommand {
  /** An executable (a built job), or a job module (.ts/.js/.mjs) run through `ferry run`. */
  target: string;
  /** The job's own flags (the source to read, options); verify adds the database flag. */
  args: readonly string[];
  /** Added to this process's environment for every run (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Aborting it SIGKILLs the run in progress, which then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The counts of the result line, when there was one. */
  counts?: Record<string, number>;
  /** When SIGTERM was sent, in ms after the job printed its start line; undefined when it ended first. */
  termSentMs?: number;
}

const MODULE = /\.(ts|mts|js|mjs)$/;
const bin = fileURLToPath(new URL(`../tool/bin${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export interface RunControl {
  /** SIGKILL after this many ms (undefined: never). */
  killAfterMs?: number;
  /** SIGTERM this many ms after the job printed its start line (a signal before its handlers exist just kills it). */
  termAfterMs?: number;
}

/** Runs the job once on a database and reports how it ended. */
export function runJobProcess(
  command: JobCommand,
  dbArgs: readonly string[],
  control: RunControl = {},
): Promise<Ended> {
  const { signal } = command;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const [file, args] = MODULE.test(command.target)
    ? [process.execPath, [...process.execArgv.filter((a) => a.startsWith('--conditions')), bin, 'run', command.target]]
    : [command.target, []];
  const started = performance.now();
  const child = spawn(file, [...args, ...command.args, ...dbArgs, '--log-format', 'json'], {
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let term: NodeJS.Timeout | undefined;
  let termSentMs: number | undefined;
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    const termAfterMs = control.termAfterMs;
    if (termAfterMs !== undefined && term === undefined && stdout.includes('"type":"start"')) {
      term = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')) termSentMs = termAfterMs;
      }, termAfterMs);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const kill =
    control.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), control.killAfterMs);
  const stop = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', stop, { once: true });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, ended) => {
      clearTimeout(kill);
      clearTimeout(term);
      signal?.removeEventListener('abort', stop);
      if (signal?.aborted) return reject(signal.reason as Error);
      const counts = resultCounts(stdout);
      const sent = termSentMs === undefined ? {} : { termSentMs };
      resolve({
        code,
        signal: ended,
        stdout,
        stderr,
        ms: performance.now() - started,
        ...(counts ? { counts } : {}),
        ...sent,
      });
    });
  });
}

function resultCounts(stdout: string): Record<string, number> | undefined {
  const last = stdout.trimEnd().split('\n').at(-1);
  try {
    const event = JSON.parse(last ?? '') as { type?: string; counts?: Record<string, number> };
    return event.type === 'result' ? event.counts : undefined;
  } catch {
    return undefined;
  }
}
