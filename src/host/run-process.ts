import { spawn, type ChildProcess } from 'node:child_process';

/** How {@link runProcess} runs a program: its environment, and what may stop it early. */
export interface ProcessOptions {
  /** The whole environment of the program. */
  env: Readonly<Record<string, string | undefined>>;
  /** Its working directory; default this process's. */
  cwd?: string | undefined;
  /** Start it through a shell (npm is npm.cmd on Windows, which only a shell can start). */
  shell?: boolean;
  /** SIGKILL it after this many ms; default never. */
  killAfterMs?: number | undefined;
  /** Aborting it SIGKILLs the program, and the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Called with all of stdout so far whenever more arrives: the place to signal the program at a line. */
  onStdout?: ((stdout: string, child: ChildProcess) => void) | undefined;
}

/** How a program ended, and all it printed. */
export interface Finished {
  /** Its exit code; null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the spawn to the end of its output. */
  ms: number;
}

/**
 * Runs a program to completion, its output collected: what ferry build runs its tools with,
 * verify its job runs, and the tests everything they spawn. Rejects only when the program cannot
 * start (ENOENT), or when `signal` aborts.
 */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions): Promise<Finished> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const started = performance.now();
  const child = spawn(file, args, {
    env: options.env,
    cwd: options.cwd,
    shell: options.shell ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const kill = () => child.kill('SIGKILL');
  const timer = options.killAfterMs === undefined ? undefined : setTimeout(kill, options.killAfterMs);
  signal?.addEventListener('abort', kill, { once: true });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, ended) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      if (signal?.aborted) return reject(signal.reason as Error);
      resolve({ code, signal: ended, stdout, stderr, ms: performance.now() - started });
    });
  });
}
