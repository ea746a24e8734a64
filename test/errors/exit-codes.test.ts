import assert from 'node:assert/strict';
import { it } from 'node:test';
import { defineJob, runJob } from 'ferry';
import * as ours from '../../src/errors/errors.ts';
import { exitCodeFor, summarizeError } from '../../src/errors/exit-codes.ts';

// A second copy of ferry's errors, as a job that bundles its own ferry would throw them.
const theirs = (await import(
  `${new URL('../../src/errors/errors.ts', import.meta.url).href}?second-copy`
)) as typeof ours;

it('an error from another copy of ferry keeps its exit code: the brand decides, not instanceof', () => {
  const cases: [Error, number][] = [
    [new theirs.ConfigError('x'), 64],
    [new theirs.PermanentError('x', { code: 'AUTH_REJECTED' }), 65],
    [new theirs.RetryableError('x'), 75],
    [new theirs.CancelledError(), 130],
    [new Error('plain'), 1],
    [Object.assign(new Error('looks alike'), { code: 'X', kind: 'permanent' }), 1],
  ];
  assert.equal(new theirs.PermanentError('x') instanceof ours.PermanentError, false, 'a real second copy');
  assert.deepEqual(
    cases.map(([error]) => exitCodeFor(error)),
    cases.map(([, code]) => code),
  );
  assert.deepEqual(summarizeError(new theirs.RetryableError('later', { code: 'BUSY' })), {
    code: 'BUSY',
    message: 'later',
    retryable: true,
  });
  assert.deepEqual(summarizeError(new Error('bug')), { code: 'UNEXPECTED', message: 'bug', retryable: false });
});

it("a run failing with another copy's PermanentError exits 65 with its code", async () => {
  const job = defineJob({
    name: 'two-copies',
    version: '1',
    description: 't',
    config: {},
    run: () => {
      throw new theirs.PermanentError('bad row', { code: 'BAD_ROW' });
    },
  });
  const result = await runJob(job, {});
  assert.deepEqual([result.exitCode, result.error?.code], [65, 'BAD_ROW']);
});
