// The Batcher, in-process through runJob against every store: what it commits, when, and what a
// failed, cancelled or refused batch leaves behind. Each commit is recorded on its way to the real
// store, so a test sees the transactions themselves, not only the tables they leave.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError,
  MemoryReporter,
  PermanentError,
  runJob,
  type Batch,
  type JobContext,
  type RunOptions,
  type Store,
} from 'ferry';
import { jobOn, targets, type Database } from '../stores/targets.ts';

const tables = { rows: { columns: { id: 'integer', label: 'text' }, primaryKey: ['id'] } } as const;
const row = (id: number) => ({ id, label: `row ${id}` });

/** The store `open` opens, with every batch it commits noted in `commits`, in order. */
function recording(open: () => Promise<Store>, commits: Batch[]): () => Promise<Store> {
  return async () => {
    const store = await open();
    return new Proxy(store, {
      get(target, key) {
        if (key === 'commit')
          return (runId: string, job: string, batch: Batch) => (commits.push(batch), target.commit(runId, job, batch));
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  };
}

/** The ids a batch writes, in order. */
const idsOf = (batch: Batch) =>
  batch.writes.flatMap((w) => w.rows.map((row) => (row.id === undefined ? 'no id' : Number(row.id))));

for (const target of targets) {
  describe(`${target.name}: batches and checkpoints`, async () => {
    const why = await target.unavailable();
    if (why) return void it.skip(`${target.name} batches: ${why}`);

    const runOn = async (
      db: Database,
      work: (ctx: JobContext) => Promise<void>,
      options: RunOptions & { batchSize: number },
    ) => {
      const commits: Batch[] = [];
      const reporter = new MemoryReporter();
      const store = recording(db.open(options.batchSize), commits);
      const result = await runJob(jobOn(target, 'batches', tables, work), {}, { ...options, reporter, store });
      const ids = (await db.query('SELECT CAST(id AS INTEGER) AS id FROM rows ORDER BY id')).map((r) => r.id);
      return { result, commits, reporter, ids, checkpoint: await db.checkpoint('batches') };
    };

    it('a checkpoint commits with the rows written before it, or after them, never ahead', async () => {
      const db = await target.fresh();
      const { result, commits, ids, checkpoint } = await runOn(
        db,
        async (ctx) => {
          for (let id = 1; id <= 10; id++) {
            await ctx.write('rows', row(id));
            ctx.setCheckpoint({ through: id }); // claims row `id`, which is already queued
          }
        },
        { batchSize: 3 },
      );
      assert.equal(result.exitCode, 0);
      assert.deepEqual(commits.map(idsOf), [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
      const committed: unknown[] = [];
      for (const batch of commits) {
        committed.push(...idsOf(batch));
        const through = (batch.checkpoint?.value as { through: number } | undefined)?.through ?? 0;
        const missing = Array.from({ length: through }, (_, i) => i + 1).filter((id) => !committed.includes(id));
        assert.deepEqual(missing, [], `the checkpoint ${through} committed before rows ${missing.join(', ')}`);
      }
      assert.deepEqual(
        commits.map((b) => b.checkpoint),
        [2, 5, 8, 10].map((through) => ({ value: { through }, tables: ['rows'] })),
      );
      assert.deepEqual([ids, checkpoint], [Array.from({ length: 10 }, (_, i) => i + 1), { through: 10 }]);
    });

    it('a batch the store refuses fails the run at the next commit; the batches and checkpoint before it stay', async () => {
      const db = await target.fresh();
      const resolved: number[] = [];
      let rejectedAt: number | undefined;
      const { result, commits, ids, checkpoint } = await runOn(
        db,
        async (ctx) => {
          for (let id = 1; id <= 12; id++) {
            try {
              await ctx.write('rows', id === 5 ? { label: 'no id' } : row(id));
            } catch (error) {
              rejectedAt = id;
              throw error;
            }
            resolved.push(id);
            ctx.setCheckpoint({ through: id });
          }
        },
        { batchSize: 3 },
      );
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'KEY_MISSING']);
      assert.ok(
        rejectedAt !== undefined && rejectedAt > 6,
        `the write that handed over the refused batch (6) returned; a later one failed: ${rejectedAt}`,
      );
      assert.deepEqual(
        commits.map(idsOf),
        [
          [1, 2, 3],
          [4, 'no id', 6],
        ],
        'nothing is committed after the refused batch',
      );
      assert.deepEqual([ids, checkpoint], [[1, 2, 3], { through: 2 }]);
      assert.ok(resolved.includes(6));
    });

    it("the same failure with no write after it surfaces at the run's last flush", async () => {
      const db = await target.fresh();
      const { result, ids } = await runOn(
        db,
        async (ctx) => {
          for (const id of [1, 2, 3]) await ctx.write('rows', row(id));
          await ctx.write('rows', [{ label: 'no id' }, row(5), row(6)]);
        },
        { batchSize: 3 },
      );
      assert.deepEqual([result.status, result.exitCode, result.error?.code], ['failed', 65, 'KEY_MISSING']);
      assert.deepEqual(ids, [1, 2, 3]);
    });

    it('a cancelled run keeps its whole batches only: queued rows and the checkpoint set since are dropped', async () => {
      const db = await target.fresh();
      const controller = new AbortController();
      const { result, commits, ids, checkpoint } = await runOn(
        db,
        async (ctx) => {
          for (let id = 1; id <= 10; id++) {
            if (id === 6) controller.abort(new CancelledError('the host asked to stop'));
            await ctx.write('rows', row(id)); // throws once cancelled
            ctx.setCheckpoint({ through: id });
          }
        },
        { batchSize: 3, signal: controller.signal },
      );
      assert.deepEqual([result.status, result.exitCode], ['cancelled', 130]);
      assert.deepEqual(commits.map(idsOf), [[1, 2, 3]], 'rows 4 and 5, queued, were never committed');
      assert.deepEqual([ids, checkpoint], [[1, 2, 3], { through: 2 }]);
    });

    it('a run that fails while a batch is committing lets it finish first, and reports its own error', async () => {
      const db = await target.fresh();
      const { result, commits, ids } = await runOn(
        db,
        async (ctx) => {
          await ctx.write('rows', [row(1), row(2), row(3)]); // a full batch: it commits behind the job
          throw new PermanentError('the source went bad', { code: 'SOURCE_BAD' });
        },
        { batchSize: 3 },
      );
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'SOURCE_BAD']);
      assert.equal(commits.length, 1);
      assert.deepEqual(ids, [1, 2, 3], 'the batch in flight was committed whole');
      assert.deepEqual(
        (await db.runs('batches')).map((r) => [r.status, r.error_code]),
        [['failed', 'SOURCE_BAD']],
      );
    });
  });
}
