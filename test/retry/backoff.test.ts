import assert from 'node:assert/strict';
import { it } from 'node:test';
import { backoffDelay, sleep } from '../../src/retry/backoff.ts';

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
  setImmediate(() => controller.abort(reason)); // once the sleep has begun
  await assert.rejects(sleep(10_000, controller.signal), (error) => error === reason);
  assert.ok(performance.now() - started < 1_000);
});
