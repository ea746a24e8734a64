import { attempt, type Answer } from './attempt.ts';
import { backoffDelay, sleep } from '../../retry/backoff.ts';
import { exhaustedError, safeUrl, type Fault } from './http-errors.ts';
import type { RequestOptions } from './options.ts';

/** However long Retry-After asks for, wait no longer than this (or backoff.maxMs if larger). */
export const RETRY_AFTER_CEILING_MS = 5 * 60_000;

/** GETs a JSON page, retrying transient faults with full-jitter backoff or the server's Retry-After. */
export async function retryingGet(url: URL, options: RequestOptions): Promise<Answer> {
  for (let retry = 0; ; retry++) {
    options.signal?.throwIfAborted();
    const outcome = await attempt(url, options, retry + 1);
    if (outcome.ok) return outcome.answer;
    if (retry >= options.maxRetries) throw exhaustedError(safeUrl(url), outcome.fault, retry + 1);
    const delayMs = delayFor(outcome.fault, retry, options);
    options.onRetry?.({
      attempt: retry + 1,
      delayMs,
      code: outcome.fault.code,
      reason: outcome.fault.reason,
      url: safeUrl(url),
    });
    await sleep(delayMs, options.signal);
  }
}

function delayFor(fault: Fault, retry: number, options: RequestOptions): number {
  if (fault.retryAfterMs === undefined) return backoffDelay(retry, options.baseMs, options.maxMs);
  // Retrying sooner than asked only earns another 429, so the server's wish beats maxMs, up to a ceiling.
  return Math.min(fault.retryAfterMs, Math.max(options.maxMs, RETRY_AFTER_CEILING_MS));
}
