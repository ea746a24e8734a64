/**
 * A 403 that is a rate limit, not a refusal: GitHub answers its limits so, with
 * `X-RateLimit-Remaining: 0` (primary) or a `Retry-After` (secondary). Read as a refusal it failed
 * for good (65), and a host or cron would never run the import again.
 */
export function isRateLimited(status: number, headers: Headers): boolean {
  return status === 403 && (headers.has('retry-after') || remaining(headers) === 0);
}

/**
 * When the limit resets, in ms from `now`, from `X-RateLimit-Reset` and its kin: epoch seconds
 * (GitHub, Twitter) or, for a small number, seconds to wait (the IETF draft's `RateLimit-Reset`);
 * undefined when it is not in the future.
 */
export function rateLimitResetMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = first(headers, ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset']);
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const seconds = Number(value);
  const ms = seconds > 1e9 ? seconds * 1000 - now : seconds * 1000;
  // A reset already past (by this clock) says nothing: the usual backoff, not every retry at once.
  return ms > 0 ? ms : undefined;
}

function remaining(headers: Headers): number | undefined {
  const value = first(headers, ['x-ratelimit-remaining', 'ratelimit-remaining', 'x-rate-limit-remaining']);
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
}

function first(headers: Headers, names: string[]): string | undefined {
  for (const name of names) {
    const value = headers.get(name)?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
