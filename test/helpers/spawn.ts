import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type Finished } from '../../src/host/run-process.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (...parts: string[]) => path.join(ROOT, 'test/fixtures', ...parts);

export type { Finished };

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
  return runProcess(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    killAfterMs: options.timeoutMs ?? 30_000,
    onStdout: options.onOutput,
  });
}

/** Runs a job module from source on the Node running the tests. */
export function runJobFile(file: string, args: readonly string[], options: SpawnOptions = {}): Promise<Finished> {
  return run(process.execPath, ['--conditions=source', file, ...args], options);
}
