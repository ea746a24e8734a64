/**
 * A 403 that is a rate limit, not a refusal: GitHub answers its limits so, with
 * `X-RateLimit-Remaining: 0` (primary) or a `Retry-After` (secondary). Read as a refusal it failed
 * for good (65), and a host or cron would never run the import again.
 */
export function isRateLimited(status: number, headers: Headers): boolean {
  return status === 403 && (headers.has('retry-after') || count(headers, REMAINING) === 0);
}

/**
 * When the limit resets, in ms from `now`, from `X-RateLimit-Reset` and its kin: epoch seconds
 * (GitHub, Twitter) or, for a small number, seconds to wait (the IETF draft's `RateLimit-Reset`);
 * undefined when it is not in the future.
 */
export function rateLimitResetMs(headers: Headers, now: number = Date.now()): number | undefined {
  const seconds = count(headers, ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset']);
  if (seconds === undefined) return undefined;
  const ms = seconds > 1e9 ? seconds * 1000 - now : seconds * 1000;
  // A reset already past (by this clock) says nothing: the usual backoff, not every retry at once.
  return ms > 0 ? ms : undefined;
}

const REMAINING = ['x-ratelimit-remaining', 'ratelimit-remaining', 'x-rate-limit-remaining'];

/** The first of the headers `names` that is there, as a whole number; undefined when that one is not digits. */
function count(headers: Headers, names: string[]): number | undefined {
  for (const name of names) {
    const value = headers.get(name)?.trim();
    if (value !== undefined && value !== '') return /^\d+$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}
