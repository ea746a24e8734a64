// Other work on the machine (tests, builds) skews timings: before a measured run, wait for the
// 1-minute load average to drop, but not forever, and say what it was.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadWait {
  /** The 1-minute load average when the wait ended. */
  load: number;
  waitedMs: number;
  /** True when the load never dropped below the limit within maxWaitMs. */
  gaveUp: boolean;
}

export interface LoadWaitOptions {
  /** Default 1.0. */
  below?: number;
  /** Default 5 s. */
  pollMs?: number;
  /** Default 3 min, or FERRY_BENCH_LOAD_WAIT_S seconds (0: never wait, for a quick trial of a benchmark). */
  maxWaitMs?: number;
  /** Called once when a wait starts (the load is over the limit). */
  onWait?: (load: number) => void;
}

const loadNow = (): number => os.loadavg()[0] ?? NaN;
const DEFAULT_MAX_WAIT_MS = 1000 * Number(process.env.FERRY_BENCH_LOAD_WAIT_S ?? 180);

/** Resolves once the 1-minute load average is below the limit, or after maxWaitMs regardless. */
export async function waitForQuiet(options: LoadWaitOptions = {}): Promise<LoadWait> {
  const { below = 1.0, pollMs = 5000, maxWaitMs = DEFAULT_MAX_WAIT_MS } = options;
  const started = performance.now();
  let load = loadNow();
  if (load < below) return { load, waitedMs: 0, gaveUp: false };
  if (maxWaitMs <= 0) return { load, waitedMs: 0, gaveUp: true };
  options.onWait?.(load);
  while (performance.now() - started + pollMs <= maxWaitMs) {
    await sleep(pollMs);
    load = loadNow();
    if (load < below) return { load, waitedMs: performance.now() - started, gaveUp: false };
  }
  return { load: loadNow(), waitedMs: performance.now() - started, gaveUp: true };
}

/** Collects the waits of a benchmark for its notes. */
export class LoadLog {
  readonly #waits: LoadWait[] = [];
  readonly #below: number;
  readonly #options: LoadWaitOptions;

  constructor(options: LoadWaitOptions = {}) {
    this.#options = options;
    this.#below = options.below ?? 1.0;
  }

  /** Waits for a quiet machine; returns the load the measured run starts at. */
  async wait(what: string): Promise<LoadWait> {
    const wait = await waitForQuiet({
      ...this.#options,
      onWait: (load) => process.stderr.write(`  load ${load.toFixed(2)} >= ${this.#below}: waiting before ${what}\n`),
    });
    if (wait.gaveUp)
      process.stderr.write(
        `  load still ${wait.load.toFixed(2)} after ${(wait.waitedMs / 1000).toFixed(0)} s: measuring ${what} anyway\n`,
      );
    this.#waits.push(wait);
    return wait;
  }

  get waits(): readonly LoadWait[] {
    return this.#waits;
  }

  /** One sentence for the notes: the load at the start of the measured runs, and how often the wait gave up. */
  summary(): string {
    const loads = this.#waits.map((w) => w.load);
    if (loads.length === 0) return 'No measured runs.';
    const gaveUp = this.#waits.filter((w) => w.gaveUp);
    const waited = this.#waits.reduce((sum, w) => sum + w.waitedMs, 0);
    const range = `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`;
    const limit = this.#options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    return (
      `Load: before each of the ${loads.length} measured runs the benchmark waited (polling every ${(this.#options.pollMs ?? 5000) / 1000} s, ` +
      `up to ${(limit / 60_000).toFixed(1)} min) for a 1-minute load average below ${this.#below.toFixed(1)}; it stood at ${range} when they started ` +
      `(${(waited / 60_000).toFixed(1)} min of waiting in all). ` +
      (gaveUp.length === 0
        ? 'Every run started on a quiet machine.'
        : `${gaveUp.length} of ${loads.length} runs started without reaching it (load ${gaveUp.map((w) => w.load.toFixed(2)).join(', ')}): other work on the machine shares its ${os.availableParallelism()} cores with those runs, so their wall times are upper bounds; CPU times are less affected.`)
    );
  }
}
