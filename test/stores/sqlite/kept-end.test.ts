// A run whose end the database will not take (another program holds it past --busy-timeout)
// keeps its end in the run lock file: check and the next run tell what happened, not "crashed".
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { parseEventLines } from '../../helpers/protocol.ts';
import { fixture, runJobFile } from '../../helpers/spawn.ts';

const JOB = fixture('jobs/counter-import.ts');

it('an end the database would not take is kept in the lock file; check reads it, the next run writes it', async () => {
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-kept-')), 'k.db');
  assert.equal((await runJobFile(JOB, ['--db-path', db, '--count', '10'])).code, 0);
  const holder = new DatabaseSync(db, { timeout: 0 });
  const busy = await runJobFile(
    JOB,
    [
      '--db-path',
      db,
      '--count',
      '30000',
      '--batch-size',
      '250',
      '--pause-ms',
      '20',
      '--busy-timeout',
      '1s',
      '--variant',
      'b',
    ],
    {
      timeoutMs: 60_000,
      onOutput: (out) =>
        void (out.includes('"type":"progress"') && !holder.isTransaction && holder.exec('BEGIN IMMEDIATE')),
    },
  );
  try {
    const result = parseEventLines(busy.stdout).at(-1);
    assert.ok(result?.type === 'result', busy.stderr);
    assert.deepEqual([busy.code, result.error?.code], [75, 'SQLITE_BUSY'], busy.stderr);
    assert.match(busy.stdout, /could not record the run's end: .*its end is kept in the run lock file/);
    const check = await runJobFile(JOB, ['check', '--db-path', db]);
    assert.equal(check.code, 69, check.stderr);
    assert.match(check.stdout, /last run failed at \S+ with SQLITE_BUSY/);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  assert.equal((await runJobFile(JOB, ['--db-path', db, '--count', '10'])).code, 0);
  const history = new DatabaseSync(db, { readOnly: true });
  try {
    const runs = history
      .prepare('SELECT status, error_code FROM _ferry_runs ORDER BY started_at')
      .all()
      .map((r) => [r.status, r.error_code]);
    assert.deepEqual(runs, [
      ['succeeded', null],
      ['failed', 'SQLITE_BUSY'],
      ['succeeded', null],
    ]);
  } finally {
    history.close();
  }
});
