// The healthcheck's "too old" line says the ages a person can act on, and the limit as it was given.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { evaluateHealth } from '../../src/health/check.ts';
import type { RunRecord } from '../../src/stores/store.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;

function succeeded(hoursAgo: number): RunRecord {
  const finishedAt = new Date(NOW.getTime() - hoursAgo * HOUR).toISOString();
  return {
    id: 'r1',
    job: 'j',
    startedAt: finishedAt,
    finishedAt,
    status: 'succeeded',
    exitCode: 0,
    dryRun: false,
    counts: { read: 10, inserted: 0, updated: 0, unchanged: 10, deleted: 0, rejected: 0 },
    error: null,
  };
}

it('too old: ages to two units, --max-age exactly as a flag would take it (25h, not a rounded 1d)', () => {
  const cases: [number, number, string][] = [
    [26, 25 * HOUR, 'too old: the last success finished 1 day 2 hours ago, 1 hour over --max-age 25h'],
    [2.25, 1.5 * HOUR, 'too old: the last success finished 2 hours 15 minutes ago, 45 minutes over --max-age 90m'],
    [72, 48 * HOUR, 'too old: the last success finished 3 days ago, 1 day over --max-age 2d'],
  ];
  for (const [hoursAgo, maxAgeMs, line] of cases) {
    const health = evaluateHealth([succeeded(hoursAgo)], { now: NOW, maxAgeMs, minRecords: 0 });
    assert.equal(health.ok, false);
    assert.deepEqual(health.problems, [line]);
  }
});
