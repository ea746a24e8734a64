import { backoffDelay, sleep } from '../retry/backoff.ts';
import type { JobHandle, JobResult } from './start-job.ts';

/** How {@link runWithRetry} retries: how many runs, how long to wait between them. */
export interface RetryPolicy {
  /** Runs in all, the first included; default 5. */
  attempts?: number;
  /** Backoff: a random wait up to min(maxMs, baseMs × 2^retry); defaults 1 s and 60 s. */
  baseMs?: number;
  /** The longest wait between two runs; default 60 000 ms. */
  maxMs?: number;
  /** Aborting stops waiting and retrying (cancel the running handle yourself). */
  signal?: AbortSignal;
  /** Called before each wait: which retry comes (1-based), after how long, and the result that failed. */
  onRetry?: (info: { attempt: number; delayMs: number; result: JobResult }) => void;
}

/**
 * Runs a job until it succeeds or fails for good: a retryable failure (exit 75, or a process
 * killed without a result) is tried again with backoff; 64, 65, 1 and a cancel are final.
 * Resuming is free: the job continues from its checkpoint.
 */
export async function runWithRetry(start: () => JobHandle, policy: RetryPolicy = {}): Promise<JobResult> {
  const attempts = policy.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const result = await start().result;
    if (!result.retryable || result.status === 'cancelled' || attempt >= attempts || policy.signal?.aborted)
      return result;
    const delayMs = backoffDelay(attempt - 1, policy.baseMs ?? 1000, policy.maxMs ?? 60_000);
    policy.onRetry?.({ attempt, delayMs, result });
    try {
      await sleep(delayMs, policy.signal);
    } catch {
      return result; // aborted while waiting: the last result stands
    }
  }
}
