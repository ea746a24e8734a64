// The guards, in-process through runJob against every store: --max-rejects counts what ctx.accept
// turns away, --min-records what it reads, and a run that breaks either takes back every write it
// committed, keeping only the rejects that say why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReporter, runJob, type RunOptions, type SourceItem } from 'ferry';
import { z } from 'zod';
import { jobOn, targets, type Database } from '../stores/targets.ts';

const tables = { people: { columns: { id: 'text', age: 'integer' }, primaryKey: ['id'] } } as const;
const schema = z.object({ id: z.string(), age: z.number().int().min(0) });
type Person = { id: string; age: number };

const SOURCE = 'people.json';
const person = (id: string, age: number, row: number): SourceItem<unknown> => ({
  ok: true,
  record: { id, age },
  position: { source: SOURCE, row },
});
const unreadable = (row: number): SourceItem<unknown> => ({
  ok: false,
  raw: '{"id": "x", ',
  reason: 'not JSON',
  position: { source: SOURCE, row },
});

for (const target of targets) {
  describe(`${target.name}: reject limits`, async () => {
    const why = await target.unavailable();
    if (why) return void it.skip(`${target.name} reject limits: ${why}`);

    /** Runs a job that accepts `items` one by one, writes what passes and sets a checkpoint at the end. */
    const runItems = async (db: Database, items: SourceItem<unknown>[], options: RunOptions = {}) => {
      const reporter = new MemoryReporter();
      const accepted: (Person | undefined)[] = [];
      const job = jobOn(target, 'guarded', tables, async (ctx) => {
        for (const item of items) {
          const record = await ctx.accept(item, schema);
          accepted.push(record);
          if (record) await ctx.write('people', record);
        }
        ctx.setCheckpoint({ read: items.length });
      });
      const batchSize = options.batchSize ?? 2;
      const result = await runJob(job, {}, { ...options, batchSize, reporter, store: db.open(batchSize) });
      return {
        result,
        reporter,
        accepted,
        rows: await db.rows('people', 'id'),
        checkpoint: await db.checkpoint('guarded'),
      };
    };
    const rejectsIn = async (db: Database) =>
      (await db.query("SELECT reason, position FROM _ferry_rejects WHERE job = 'guarded' ORDER BY reason")).map((r) => [
        r.reason,
        JSON.parse(String(r.position)) as unknown,
      ]);

    const items = [
      person('a', 30, 1),
      person('b', -1, 2), // fails the schema
      person('c', 40, 3),
      unreadable(4), // the source could not read it
      person('d', 50, 5),
    ];

    it('as many rejects as --max-rejects: the run succeeds, counts them and keeps them with their position', async () => {
      const db = await target.fresh();
      const { result, accepted, rows } = await runItems(db, items, { maxRejects: 2 });
      assert.deepEqual([result.exitCode, result.counts.read, result.counts.rejected], [0, 5, 2]);
      assert.deepEqual(
        accepted.map((p) => p?.id),
        ['a', undefined, 'c', undefined, 'd'],
        'accept gives back nothing for a reject',
      );
      assert.deepEqual(
        rows.map((r) => r.id),
        ['a', 'c', 'd'],
      );
      assert.deepEqual(await rejectsIn(db), [
        ['age: Too small: expected number to be >=0', { source: SOURCE, row: 2 }],
        ['not JSON', { source: SOURCE, row: 4 }],
      ]);
    });

    it('one more reject than --max-rejects: 65, the committed batches taken back, the checkpoint as before, the rejects kept', async () => {
      const db = await target.fresh();
      const first = await runItems(db, [person('a', 1, 1), person('z', 2, 2)]);
      assert.equal(first.result.exitCode, 0);
      const { result, reporter, rows, checkpoint } = await runItems(db, items, { maxRejects: 1 });
      assert.deepEqual([result.status, result.exitCode, result.error?.code], ['failed', 65, 'REJECTS_OVER_LIMIT']);
      assert.equal(
        result.error?.message,
        `2 records rejected, more than --max-rejects 1 (the last: ${SOURCE}, row 4: not JSON); nothing of this run is kept — see the rejects command`,
      );
      assert.deepEqual(
        [rows, checkpoint],
        [first.rows, first.checkpoint],
        'a batch with a, b and c was committed, and taken back',
      );
      assert.equal((await rejectsIn(db)).length, 2, 'the rejects say why the run failed');
      assert.ok(reporter.ofType('log').some((e) => e.msg.startsWith('took back every write of this run')));
    });

    it('the first ten rejects are logged, every one is counted', async () => {
      const db = await target.fresh();
      const bad = Array.from({ length: 12 }, (_, i) => person(`p${i}`, -1, i + 1));
      const { result, reporter } = await runItems(db, bad, { maxRejects: 100 });
      assert.deepEqual([result.exitCode, result.counts.rejected], [0, 12]);
      const logged = reporter.ofType('log').filter((e) => e.level === 'warn' && e.msg.startsWith('rejected '));
      assert.equal(logged.length, 10);
      assert.equal(logged[0]?.msg, `rejected ${SOURCE}, row 1: age: Too small: expected number to be >=0`);
    });

    it('fewer records than --min-records: 65, and the run keeps nothing', async () => {
      const db = await target.fresh();
      const { result, rows, checkpoint } = await runItems(db, items.slice(0, 3), { maxRejects: 5, minRecords: 4 });
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'TOO_FEW_RECORDS']);
      assert.match(result.error?.message ?? '', /^read 3 records, fewer than --min-records 4/);
      assert.deepEqual([rows, checkpoint], [[], undefined]);
    });
  });
}
