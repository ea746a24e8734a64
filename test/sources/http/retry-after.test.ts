import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../../../src/sources/http/retry-after.ts';

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
