import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, parseRetryAfter, sleep } from '../../../src/sources/http/backoff.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T10:00:00Z');
  const cases: [string | null, number | undefined][] = [
    ['120', 120_000],
    [' 3 ', 3_000],
    ['0', 0],
    ['1.5', 1_500],
    ['Sun, 01 Mar 2026 10:00:30 GMT', 30_000],
    ['Sunday, 01-Mar-26 10:00:30 GMT', 30_000],
    ['Sun Mar  1 10:00:30 2026', 30_000],
    ['Sun, 01 Mar 2026 09:00:00 GMT', 0],
    ['-5', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected} ms`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

it('backoffDelay is full jitter: anywhere from 0 to min(max, base·2^retry)', () => {
  const table = [0, 1, 2, 3, 10].map((retry) => [
    retry,
    backoffDelay(retry, 100, 1_000, () => 0),
    backoffDelay(retry, 100, 1_000, () => 0.999_999),
  ]);
  assert.deepEqual(table, [
    [0, 0, 99],
    [1, 0, 199],
    [2, 0, 399],
    [3, 0, 799],
    [10, 0, 999],
  ]);
});

it('sleep rejects with the signal reason as soon as it aborts', async () => {
  const controller = new AbortController();
  const reason = new Error('stop now');
  const started = performance.now();
  setTimeout(() => controller.abort(reason), 20);
  await assert.rejects(sleep(10_000, controller.signal), (error) => error === reason);
  assert.ok(performance.now() - started < 1_000);
});
