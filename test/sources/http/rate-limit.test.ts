import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isRateLimited, rateLimitResetMs } from '../../../src/sources/http/rate-limit.ts';

it('X-RateLimit-Reset: epoch seconds or seconds to wait; one already past says nothing', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  const reset = (value: string) => rateLimitResetMs(new Headers({ 'x-ratelimit-reset': value }), now);
  assert.equal(reset(String(now / 1000 + 90)), 90_000);
  assert.equal(reset('30'), 30_000);
  assert.equal(reset(String(now / 1000 - 5)), undefined, 'a reset in the past (clock skew) fired every retry at once');
  assert.equal(reset('0'), undefined);
  assert.equal(reset('soon'), undefined);
  assert.equal(rateLimitResetMs(new Headers({ 'ratelimit-reset': '7' }), now), 7_000);
});

it('a 403 is a rate limit only with no requests remaining or a Retry-After', () => {
  assert.equal(isRateLimited(403, new Headers({ 'x-ratelimit-remaining': '0' })), true);
  assert.equal(isRateLimited(403, new Headers({ 'retry-after': '60' })), true);
  assert.equal(isRateLimited(403, new Headers({ 'x-ratelimit-remaining': '4999' })), false, 'a permission error');
  assert.equal(isRateLimited(403, new Headers()), false);
  assert.equal(isRateLimited(404, new Headers({ 'x-ratelimit-remaining': '0' })), false);
});
