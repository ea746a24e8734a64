import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { emptyCounts, type Counts, type FerryEvent, type ResultEvent } from '../events/protocol.ts';
import { toEnv, toFlags, type HostConfig } from './job-args.ts';
import { parseEvent, type JobLine } from './parse-event.ts';

/** How {@link startJob} runs a job: its options, secrets, environment and how to stop it. */
export interface StartOptions {
  /** Options as flags (`{ apiUrl }` → `--api-url`). Never put secrets here: argv is visible to other users. */
  config?: HostConfig;
  /** Secret options, passed as environment variables (`{ apiKey }` → `API_KEY`). */
  secrets?: Record<string, string | undefined>;
  /** The job's env prefix, if it declares one. */
  envPrefix?: string;
  /** The job to run in an executable of several (`ferry build a.ts b.ts --name importers`): its module's
   *  file name, e.g. `'a'`; it goes first on the command line (`importers a …`). */
  job?: string;
  /** Extra arguments before the flags, e.g. a subcommand, or `['run', 'job.ts']` for the ferry CLI. */
  args?: readonly string[];
  /** The whole environment of the job (default: the host's own), to which secrets are added. */
  env?: Record<string, string | undefined>;
  /** The job's working directory (relative paths, `./ferry.db`); default the host's. */
  cwd?: string;
  /** Aborting it cancels the run (as cancel()). */
  signal?: AbortSignal;
  /** How long cancel() waits after SIGTERM before SIGKILL; default 5000 ms. */
  graceMs?: number;
  /** Runs with the same key share one handle while one is running; default the executable, all its
   *  arguments (config included), cwd and environment (secrets included), so a start with another
   *  file or database is a run of its own; null never shares (a read-only `check` beside an import). */
  key?: string | null;
}

/** How a job ended, from its result line, or from its exit when it printed none. */
export interface JobResult {
  /** `succeeded` (0), `failed`, or `cancelled` (130, or ended by cancel() however early it came). */
  status: 'succeeded' | 'failed' | 'cancelled';
  /** null when the process died by a signal. */
  exitCode: number | null;
  /** The signal that ended the process, when one did (e.g. SIGKILL after a cancel's grace period). */
  signal: NodeJS.Signals | null;
  /** Safe to run again later: exit 75, or a process killed without a result that no cancel() asked for. */
  retryable: boolean;
  /** What the run did; all 0 when the process printed no result. */
  counts: Counts;
  /** Why it failed: the result line's `error` (a stable `code`, a message that says what to do). */
  error?: {
    /** e.g. `LOCKED`, `HTTP_401`, `CONFIG_INVALID`. */
    code: string;
    /** What went wrong and what to do, secrets redacted. */
    message: string;
    /** Whether running again later may succeed. */
    retryable: boolean;
  };
  /** The run's id, from its start or result line. */
  runId?: string;
  /** Set when the process ended without a result line (killed, crashed). */
  lastStderr?: string;
}

/** A running job: its lines and events as they come, its result, and a way to stop it. */
export interface JobHandle {
  /** The job process's id; undefined when it could not be started. */
  readonly pid: number | undefined;
  /** Every line in order: events, and any text that was not one. Each loop over it (or over
   *  `events`) gets every line still held: from the first, or from where the last loop left off. */
  readonly lines: AsyncIterable<JobLine>;
  /** The events only (start, log, progress, result). */
  readonly events: AsyncIterable<FerryEvent>;
  /** Settles when the process has exited and its output is read; never rejects. */
  readonly result: Promise<JobResult>;
  /** SIGTERM, then SIGKILL after the grace period (on Windows the process is terminated at once).
   *  Whenever it comes, the result is `cancelled` unless the job reported another end first. */
  cancel(): Promise<JobResult>;
}

const running = new Map<string, JobHandle>();

/**
 * Starts a job executable and follows it. A second start with the same key while one runs returns
 * the running handle; the job's own lock covers other processes.
 */
export function startJob(executable: string, options: StartOptions = {}): JobHandle {
  // --exit-with-parent: if this process dies (force-quit, crash) the job stops within a second,
  // releasing its lock, instead of running on as an orphan. `config: { exitWithParent: false }` opts out.
  const leading = [...(options.job === undefined ? [] : [options.job]), ...(options.args ?? [])];
  const args = [...leading, ...toFlags({ logFormat: 'json', exitWithParent: true, ...options.config })];
  const env = { ...(options.env ?? process.env), ...toEnv(options.secrets ?? {}, options.envPrefix) };
  const key = options.key === null ? undefined : (options.key ?? runKey(executable, args, options.cwd, env));
  const existing = key === undefined ? undefined : running.get(key);
  if (existing) return existing;
  const child = spawn(executable, args, {
    cwd: options.cwd,
    env,
    // stdin is a pipe held open and never written: the OS closes it when this process dies,
    // which the job sees at once, on every platform.
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  child.stdin.on('error', () => {}); // a job that has exited: nothing was to be written anyway
  const handle = follow(child, options);
  if (key !== undefined) {
    running.set(key, handle);
    void handle.result.finally(() => running.delete(key));
  }
  return handle;
}

/** The default key: the whole command line, cwd and environment, so only a start that would run the
 *  very same import shares a handle; another file or database is another run. Hashed: secrets in it. */
function runKey(executable: string, args: string[], cwd: string | undefined, env: Record<string, string | undefined>) {
  const sorted = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([executable, args, cwd ?? '', sorted]))
    .digest('hex');
}

function follow(child: ChildProcessByStdio<Writable, Readable, Readable>, options: StartOptions): JobHandle {
  const queue = new LineQueue();
  let result: ResultEvent | undefined;
  let started = false;
  const stderrTail: string[] = [];
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    const parsed = parseEvent(line);
    if (parsed.kind === 'event' && parsed.event.type === 'start') started = true;
    if (parsed.kind === 'event' && parsed.event.type === 'result') result = parsed.event;
    queue.push(parsed);
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    // JSON copies of error events are already on stdout; only plain text is news.
    if (parseEvent(line).kind === 'text') queue.push({ kind: 'text', stream: 'stderr', line });
  });
  // Set by cancel(): a process that then ends without its own result was stopped on request,
  // even one killed by SIGTERM before it could install its handlers, so no Retry is offered.
  let asked = false;
  const closed = new Promise<JobResult>((resolve) => {
    // Only a process that never started has no pid; later errors (a failed kill) change nothing.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve(notStarted(error, options.cwd));
    });
    child.on('close', (code, signal) => {
      queue.end();
      resolve(outcome(result, code, signal, stderrTail, started, asked));
    });
  });
  const cancel = () => {
    // A process that has exited already ended on its own, whatever cancel() says after.
    if (child.exitCode === null && child.signalCode === null) asked = true;
    return terminate(child, options.graceMs ?? 5000, closed);
  };
  if (options.signal?.aborted) void cancel();
  else options.signal?.addEventListener('abort', () => void cancel(), { once: true });
  return {
    pid: child.pid,
    lines: queue,
    events: eventsOf(queue),
    result: closed,
    cancel,
  };
}

function outcome(
  result: ResultEvent | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string[],
  started: boolean,
  asked: boolean,
): JobResult {
  if (result && code === result.exitCode) {
    return {
      status: result.status,
      exitCode: code,
      signal,
      retryable: result.error?.retryable ?? false,
      counts: result.counts,
      runId: result.runId,
      ...(result.error ? { error: result.error } : {}),
    };
  }
  if (asked) return cancelledOutcome(result, code, signal, stderr);
  // No result line (or one the exit code contradicts): the exit code is the truth, but for a run
  // that started and then exited 0 unreported: its import may have stopped halfway.
  const unreported = code === 0 && started;
  const status = code === 0 && !unreported ? 'succeeded' : code === 130 ? 'cancelled' : 'failed';
  const killed = code === null || code === 75 || unreported;
  const message = signal
    ? `the job was killed by ${signal} before it reported a result`
    : unreported
      ? 'the job started a run and exited 0 without its result: it may have stopped halfway; run it again'
      : `the job exited ${code} without a result`;
  return {
    status,
    exitCode: code,
    signal,
    retryable: killed,
    counts: result?.counts ?? emptyCounts(),
    ...(status === 'succeeded' ? {} : { error: { code: signal ? 'KILLED' : 'NO_RESULT', message, retryable: killed } }),
    lastStderr: stderr.join('\n'),
  };
}

/** The executable could not be started (missing, not executable, a folder): no run happened, and
 *  running it again will not help until the path is fixed, so it is not retryable. */
function notStarted(error: NodeJS.ErrnoException, cwd: string | undefined): JobResult {
  const where = cwd === undefined ? '' : `, or the working directory ${cwd},`;
  const why =
    error.code === 'ENOENT'
      ? `the executable${where} does not exist`
      : error.code === 'EACCES'
        ? 'it is not an executable file (a folder, or a file without execute permission)'
        : 'see the error';
  const message = `could not start the job: ${error.message}: ${why}; fix the path given to startJob`;
  return {
    status: 'failed',
    exitCode: null,
    signal: null,
    retryable: false,
    counts: emptyCounts(),
    error: { code: 'SPAWN_FAILED', message, retryable: false },
    lastStderr: error.message,
  };
}

/** A run cancel() stopped before it reported its own end: cancelled, whatever signal or code ended it. */
function cancelledOutcome(
  result: ResultEvent | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string[],
): JobResult {
  const how = signal ? `killed by ${signal}` : `exited ${code}`;
  const message = `cancelled by the host: the job was ${how} before it reported a result; what it committed stays`;
  return {
    status: 'cancelled',
    exitCode: code,
    signal,
    retryable: false,
    counts: result?.counts ?? emptyCounts(),
    error: { code: 'CANCELLED', message, retryable: false },
    lastStderr: stderr.join('\n'),
  };
}

async function terminate(child: ChildProcess, graceMs: number, closed: Promise<JobResult>): Promise<JobResult> {
  if (child.exitCode !== null || child.signalCode !== null) return closed;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await closed;
  } finally {
    clearTimeout(timer);
  }
}

/** The events of `lines`: each loop over it is a loop of its own over the lines. */
function eventsOf(lines: AsyncIterable<JobLine>): AsyncIterable<FerryEvent> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const line of lines) if (line.kind === 'event') yield line.event;
    },
  };
}

/**
 * An async iterable of lines that buffers until read, so nothing is lost before the loop starts.
 * Every loop over it (`lines`, `events`, a second loop after a `break`, a second holder of a shared
 * handle) gets each line from the oldest one still held; a line is dropped once every loop that is
 * running has passed it, so one reader holds no more than before.
 */
class LineQueue implements AsyncIterable<JobLine> {
  #items: JobLine[] = [];
  /** The index, counted from the first line, of #items[0]. */
  #base = 0;
  #done = false;
  #readers = new Set<{ at: number }>();
  #waiting = new Set<() => void>();

  push(line: JobLine): void {
    this.#items.push(line);
    this.#wakeAll();
  }

  end(): void {
    this.#done = true;
    this.#wakeAll();
  }

  #wakeAll(): void {
    for (const wake of this.#waiting) wake();
    this.#waiting.clear();
  }

  #trim(): void {
    let oldest = Infinity;
    for (const reader of this.#readers) oldest = Math.min(oldest, reader.at);
    if (oldest === Infinity || oldest <= this.#base) return;
    this.#items.splice(0, oldest - this.#base);
    this.#base = oldest;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<JobLine> {
    const reader = { at: this.#base };
    this.#readers.add(reader);
    try {
      for (;;) {
        const next = this.#items[reader.at - this.#base];
        if (next) {
          reader.at++;
          this.#trim();
          yield next;
          continue;
        }
        if (this.#done) return;
        await new Promise<void>((resolve) => this.#waiting.add(resolve));
      }
    } finally {
      this.#readers.delete(reader);
    }
  }
}
