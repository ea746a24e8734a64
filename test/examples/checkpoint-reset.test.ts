// A checkpoint vouches for the rows it was committed with. When its table is emptied between runs
// (dropped, truncated, deleted from), resuming from it would refill only the records changed since:
// the run reads everything again instead. --full-refresh asks for that by hand.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { startDemoApi } from '../../examples/demo-api/demo-api.ts';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import type { Finished } from '../helpers/spawn.ts';
import { freshSchema, postgresUnavailable } from '../stores/postgres/test-database.ts';

const incremental = ['--cursor-field', 'updatedAt', '--page-size-param', 'limit', '--page-size', '100'];

function result(finished: Finished) {
  const last = parseEventLines(finished.stdout).at(-1);
  assert.ok(last?.type === 'result', finished.stderr);
  assert.equal(last.exitCode, 0, finished.stderr);
  return last;
}

interface Target {
  args: string[];
  count(): Promise<number>;
  exec(sql: string): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-reset-')), 'r.db');
  const withDb = <T>(work: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(file);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    args: ['--db-path', file],
    count: async () => withDb((db) => Number((db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n)),
    exec: async (sql) => withDb((db) => db.exec(sql)),
  };
}

async function postgresTarget(): Promise<Target> {
  const schema = await freshSchema();
  return {
    args: ['--db-url', schema.url],
    count: async () => Number((await schema.query<{ n: string }>('SELECT count(*) AS n FROM items'))[0]?.n),
    exec: async (sql) => void (await schema.query(sql)),
  };
}

const skipPostgres = await postgresUnavailable();
const targets: [string, () => Promise<Target>, string | undefined][] = [
  ['sqlite', sqliteTarget, undefined],
  ['postgres', postgresTarget, skipPostgres],
];

for (const [name, make, skip] of targets) {
  describe(`rest-import on ${name}: a checkpoint whose table was emptied is set aside`, { skip }, () => {
    const resets: [string, string][] = [
      ['DROP TABLE', 'DROP TABLE items'],
      ['DELETE', 'DELETE FROM items'],
      ...(name === 'postgres' ? [['TRUNCATE', 'TRUNCATE items'] as [string, string]] : []),
    ];
    for (const [what, sql] of resets) {
      it(`${what} between runs: the next run reads the whole collection again, and the run after it is incremental again`, async () => {
        await using api = await startDemoApi({ records: 400 });
        const target = await make();
        const run = (extra: string[] = []) =>
          runExample('rest-import', ['--api-url', api.url, ...target.args, ...incremental, ...extra]);
        assert.equal(result(await run()).counts.inserted, 400);
        api.touch(['item-0003', 'item-0300']);
        await target.exec(sql);
        const after = await run();
        assert.equal(result(after).counts.inserted, 400);
        assert.match(after.stdout, /table items is empty, but the checkpoint says rows were imported into it/);
        assert.equal(await target.count(), 400);
        const again = result(await run());
        assert.ok(again.counts.read <= 2, `an ordinary incremental run follows (${again.counts.read} read)`);
      });
    }

    it('--full-refresh reads everything again although the table looks fine', async () => {
      await using api = await startDemoApi({ records: 150 });
      const target = await make();
      const run = (extra: string[] = []) =>
        runExample('rest-import', ['--api-url', api.url, ...target.args, ...incremental, ...extra]);
      result(await run());
      await target.exec("DELETE FROM items WHERE id < 'item-0100'"); // some rows lost: no way to see it
      assert.ok(result(await run()).counts.read <= 1);
      assert.equal(await target.count(), 51);
      const full = result(await run(['--full-refresh']));
      assert.deepEqual([full.counts.read, full.counts.inserted, full.counts.unchanged], [150, 99, 51]);
      assert.equal(await target.count(), 150);
    });
  });
}
