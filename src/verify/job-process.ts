import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/errors.ts';
import type { FerryEvent, ResultEvent } from '../events/protocol.ts';
import { parseEvent, type JobLine } from '../host/parse-event.ts';
import { runProcess, type Finished } from '../host/run-process.ts';

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

/** How one run of the job ended: its exit, its output, and its result line if it printed one. */
export interface Ended extends Finished {
  /** The result line, when the last line was one. */
  result?: ResultEvent;
  /** When SIGTERM was sent, in ms after the job printed its start line; undefined when it ended first. */
  termSentMs?: number;
}

const MODULE = /\.(ts|mts|js|mjs)$/;
const bin = fileURLToPath(new URL(`../tool/bin${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * Refuses (ConfigError) a target that cannot be run: a path to nothing, or a file that is neither
 * a job module nor executable. A bare name that is no file here is left to the PATH.
 */
export function checkJobTarget(target: string): void {
  const stat = statSync(target, { throwIfNoEntry: false });
  const kinds = 'a built job executable or a job module (.ts, .js)';
  if (stat === undefined) {
    if (MODULE.test(target) || target.includes('/') || target.includes('\\'))
      throw new ConfigError(`no job at ${target}: give the path of ${kinds}`);
    return;
  }
  if (stat.isFile() && (MODULE.test(target) || isExecutable(target))) return;
  throw new ConfigError(`${target} is neither a job module (.ts, .js) nor an executable: give ${kinds}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunControl {
  /** SIGKILL after this many ms (undefined: never). */
  killAfterMs?: number;
  /** SIGTERM this many ms after the job printed its start line (a signal before its handlers exist just kills it). */
  termAfterMs?: number;
}

/** Runs the job once on a database and reports how it ended. */
export async function runJobProcess(
  command: JobCommand,
  dbArgs: readonly string[],
  control: RunControl = {},
): Promise<Ended> {
  const [file, args] = MODULE.test(command.target)
    ? [process.execPath, [...process.execArgv.filter((a) => a.startsWith('--conditions')), bin, 'run', command.target]]
    : [command.target, []];
  const { termAfterMs } = control;
  let term: NodeJS.Timeout | undefined;
  let termSentMs: number | undefined;
  const sendTerm = (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')) termSentMs = termAfterMs;
  };
  const finished = await runProcess(file, [...args, ...command.args, ...dbArgs, '--log-format', 'json'], {
    env: { ...process.env, ...command.env },
    killAfterMs: control.killAfterMs,
    signal: command.signal,
    onStdout: (stdout, child) => {
      if (termAfterMs !== undefined && term === undefined && printedStart(stdout))
        term = setTimeout(() => sendTerm(child), termAfterMs);
    },
  }).finally(() => clearTimeout(term));
  const result = resultOf(finished.stdout);
  return { ...finished, ...(result ? { result } : {}), ...(termSentMs === undefined ? {} : { termSentMs }) };
}

/** Whether the job has printed its start line (the first event of a run), a whole line of it. */
function printedStart(stdout: string): boolean {
  return stdout
    .split('\n')
    .slice(0, -1)
    .some((line) => isEvent(parseEvent(line), 'start'));
}

/** The result line, when the last line printed is one. */
function resultOf(stdout: string): ResultEvent | undefined {
  const last = parseEvent(stdout.trimEnd().split('\n').at(-1) ?? '');
  return isEvent(last, 'result') ? last.event : undefined;
}

function isEvent<T extends FerryEvent['type']>(
  line: JobLine,
  type: T,
): line is { kind: 'event'; event: Extract<FerryEvent, { type: T }> } {
  return line.kind === 'event' && line.event.type === type;
}
