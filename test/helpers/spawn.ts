import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (...parts: string[]) => path.join(ROOT, 'test/fixtures', ...parts);

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Called once the process has printed this (e.g. a progress line); may signal it. */
  onOutput?: (stdout: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

/**
 * Runs a command as a real process with a clean environment (only PATH and what the test
 * gives), so the machine's own variables never leak into a test.
 */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Finished> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onOutput?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs a job module from source on the Node running the tests. */
export function runJobFile(file: string, args: readonly string[], options: SpawnOptions = {}): Promise<Finished> {
  return run(process.execPath, ['--conditions=source', file, ...args], options);
}
