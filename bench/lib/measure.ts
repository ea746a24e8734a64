import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** A process to start, again and again. */
export interface Command {
  /** Names the row in a table. */
  label: string;
  file: string;
  args: readonly string[];
  cwd?: string;
  /** Added to a clean environment of PATH only, so the caller's NODE_OPTIONS and the like never leak in. */
  env?: Record<string, string>;
  /** The exit code of a good run; any other fails the benchmark. 0 unless given. */
  expectCode?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From just before spawn() to the process's exit. */
  wallMs: number;
}

/** Runs a process once, stdout and stderr to pipes, and times it from spawn to exit. */
export function runOnce(
  file: string,
  args: readonly string[],
  command: Pick<Command, 'cwd' | 'env'> = {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, {
      cwd: command.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let wallMs = NaN;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', () => (wallMs = performance.now() - started));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, wallMs }));
  });
}

/** Runs the command once and checks its exit code. */
export async function runChecked(command: Command): Promise<Exit> {
  return check(command, await runOnce(command.file, command.args, command));
}

/** Runs the command once under GNU time; returns its peak resident set size in KiB. */
export async function peakRssKb(command: Command, scratch: string): Promise<number> {
  const report = path.join(scratch, `time-${process.pid}.txt`);
  check(command, await runOnce(GNU_TIME, ['-f', '%M', '-o', report, command.file, ...command.args], command));
  // After a non-zero exit GNU time writes "Command exited with non-zero status N" first.
  const kb = Number.parseInt((await readFile(report, 'utf8')).trim().split('\n').at(-1) ?? '', 10);
  if (!Number.isFinite(kb)) throw new Error(`${command.label}: no peak RSS from ${GNU_TIME}`);
  return kb;
}

export interface MeasuredExit extends Exit {
  /** Peak resident set size in KiB. */
  rssKb: number;
  /** CPU seconds spent in user and in kernel mode. */
  userS: number;
  sysS: number;
}

/**
 * Runs the command once under GNU time and checks its exit code: wall time, peak RSS and CPU
 * time of the same run. For runs of seconds, where the ~1 ms that `time` adds does not matter.
 */
export async function runMeasured(command: Command, scratch: string): Promise<MeasuredExit> {
  const report = path.join(scratch, `time-${process.pid}.txt`);
  const exit = check(
    command,
    await runOnce(GNU_TIME, ['-f', '%M %U %S', '-o', report, command.file, ...command.args], command),
  );
  const [kb = NaN, user = NaN, sys = NaN] = ((await readFile(report, 'utf8')).trim().split('\n').at(-1) ?? '')
    .split(' ')
    .map(Number);
  if (![kb, user, sys].every(Number.isFinite))
    throw new Error(`${command.label}: no peak RSS and CPU time from ${GNU_TIME}`);
  return { ...exit, rssKb: kb, userS: user, sysS: sys };
}

export interface Samples {
  command: Command;
  wallMs: number[];
  rssKb: number[];
}

export interface SampleOptions {
  runs?: number;
  warmups?: number;
  /** Called after each round, e.g. to print progress. */
  onRound?: (round: number, rounds: number) => void;
}

/**
 * Starts every command `warmups + runs` times and keeps the last `runs`. Each round runs
 * every command once timed (spawned directly) and once under GNU time for its peak RSS,
 * interleaved so that drift on the machine touches every command alike.
 */
export async function sample(commands: readonly Command[], options: SampleOptions = {}): Promise<Samples[]> {
  const { runs = 30, warmups = 3 } = options;
  const samples = commands.map((command): Samples => ({ command, wallMs: [], rssKb: [] }));
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-time-'));
  try {
    for (let round = 0; round < warmups + runs; round++) {
      for (const s of samples) {
        const { wallMs } = await runChecked(s.command);
        const rssKb = await peakRssKb(s.command, scratch);
        if (round < warmups) continue;
        s.wallMs.push(wallMs);
        s.rssKb.push(rssKb);
      }
      options.onRound?.(round + 1, warmups + runs);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return samples;
}

function check(command: Command, exit: Exit): Exit {
  const expected = command.expectCode ?? 0;
  if (exit.code === expected) return exit;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with ${exit.code}`;
  throw new Error(
    `${command.label}: ${command.file} ${command.args.join(' ')} ${how}, not ${expected}\n${exit.stderr.slice(-2000)}`,
  );
}
