// The write modes and the take-back of a failed guard, in-process, against every store from the
// same code: what a store promises does not depend on which database is behind it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError, runJob, type JobContext, type Row, type TableSpec, type TablesSchema } from 'ferry';
import { jobOn, targets, type Database } from './targets.ts';

const peopleSpec = {
  columns: { id: 'text', name: 'text', age: 'integer', tags: 'json', active: 'boolean' },
  primaryKey: ['id'],
} satisfies TableSpec;
const people: TablesSchema = { people: peopleSpec };
/** Lines of files, each file (source) a scope that a replace makes exactly its rows. */
const sourceLines: TablesSchema = {
  lines: {
    columns: { source: 'text', key: 'text' },
    primaryKey: ['source', 'key'],
    mode: 'replace',
    scope: ['source'],
  },
};
// Portable reads: an integer as a number, a boolean as 1 or 0, in both databases.
const PEOPLE =
  'SELECT id, name, CAST(age AS INTEGER) AS age, tags, CASE WHEN active THEN 1 ELSE 0 END AS active FROM people ORDER BY id';

for (const target of targets) {
  describe(`${target.name}: write modes`, async () => {
    const why = await target.unavailable();
    if (why) return void it.skip(`${target.name} write modes: ${why}`);

    /** Runs a job that hands rows to `write` (or to replace, with a scope) against `db`. */
    const runWith = (
      db: Database,
      tables: TablesSchema,
      work: (ctx: JobContext) => Promise<void>,
      options: { minRecords?: number; batchSize?: number; dryRun?: boolean; signal?: AbortSignal } = {},
    ) => {
      const batchSize = options.batchSize ?? 2;
      return runJob(jobOn(target, 'modes', tables, work), {}, { ...options, store: db.open(batchSize), batchSize });
    };

    it('upsert inserts new rows, updates only real changes, counts the rest unchanged', async () => {
      const db = await target.fresh();
      const first = await runWith(db, people, (ctx) =>
        ctx.write('people', [
          { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
          { id: 'b', name: 'Bob', age: 40, tags: [], active: false },
          { id: 'c', name: 'Cy', age: null, tags: null, active: true },
        ]),
      );
      assert.deepEqual(first.counts, { read: 0, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
      const second = await runWith(db, people, (ctx) =>
        ctx.write('people', [
          { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
          { id: 'b', name: 'Bob', age: 41, tags: [], active: false },
          { id: 'c', name: 'Cy', age: null, tags: null, active: true },
          { id: 'd', name: 'Di', age: 5, tags: ['y'], active: false },
        ]),
      );
      assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [1, 1, 2]);
      assert.deepEqual(await db.query(PEOPLE), [
        { id: 'a', name: 'Ann', age: 30, tags: '["x"]', active: 1 },
        { id: 'b', name: 'Bob', age: 41, tags: '[]', active: 0 },
        { id: 'c', name: 'Cy', age: null, tags: null, active: 1 },
        { id: 'd', name: 'Di', age: 5, tags: '["y"]', active: 0 },
      ]);
    });

    it('a key twice in one batch: the last one wins, and every row is counted', async () => {
      const db = await target.fresh();
      const result = await runWith(
        db,
        people,
        (ctx) =>
          ctx.write('people', [
            { id: 'a', name: 'first' },
            { id: 'b', name: 'Bob' },
            { id: 'a', name: 'second' },
            { id: 'a', name: 'second' },
            { id: 'a', name: 'third' },
          ]),
        { batchSize: 100 },
      );
      assert.equal(result.exitCode, 0, result.error?.message);
      assert.deepEqual([result.counts.inserted, result.counts.updated, result.counts.unchanged], [2, 2, 1]);
      assert.deepEqual(await db.query('SELECT id, name FROM people ORDER BY id'), [
        { id: 'a', name: 'third' },
        { id: 'b', name: 'Bob' },
      ]);
    });

    it('append inserts once and ignores repeats of its key', async () => {
      const db = await target.fresh();
      const events: TablesSchema = {
        events: { columns: { id: 'text', what: 'text' }, primaryKey: ['id'], mode: 'append' },
      };
      await runWith(db, events, (ctx) =>
        ctx.write('events', [
          { id: '1', what: 'first' },
          { id: '2', what: 'second' },
        ]),
      );
      const again = await runWith(db, events, (ctx) =>
        ctx.write('events', [
          { id: '1', what: 'CHANGED' },
          { id: '3', what: 'third' },
        ]),
      );
      assert.deepEqual([again.counts.inserted, again.counts.updated, again.counts.unchanged], [1, 0, 1]);
      assert.deepEqual(
        (await db.query('SELECT what FROM events ORDER BY id')).map((r) => r.what),
        ['first', 'second', 'third'],
      );
    });

    it('replace makes a scope exactly the rows given, deleting and counting the rows gone, leaving other scopes alone', async () => {
      const db = await target.fresh();
      const lines: TablesSchema = {
        lines: {
          columns: { source: 'text', key: 'text', v: 'text' },
          primaryKey: ['source', 'key'],
          mode: 'replace',
          scope: ['source'],
        },
      };
      await runWith(db, lines, async (ctx) => {
        await ctx.replace('lines', { source: 'a.csv' }, [
          { key: '1', v: 'x' },
          { key: '2', v: 'y' },
          { key: '3', v: 'z' },
        ]);
        await ctx.replace('lines', { source: 'b.csv' }, [{ key: '1', v: 'other' }]);
      });
      const second = await runWith(db, lines, (ctx) =>
        ctx.replace(
          'lines',
          { source: 'a.csv' },
          (async function* () {
            yield { key: '1', v: 'x' };
            yield { key: '3', v: 'zz' };
            yield { key: '4', v: 'new' };
          })(),
        ),
      );
      assert.deepEqual(second.counts, { read: 0, inserted: 1, updated: 1, unchanged: 1, deleted: 1, rejected: 0 });
      assert.deepEqual(await db.query('SELECT source, key, v FROM lines ORDER BY source, key'), [
        { source: 'a.csv', key: '1', v: 'x' },
        { source: 'a.csv', key: '3', v: 'zz' },
        { source: 'a.csv', key: '4', v: 'new' },
        { source: 'b.csv', key: '1', v: 'other' },
      ]);
    });

    it('a replace that fails half way leaves the scope as it was', async () => {
      const db = await target.fresh();
      await runWith(db, sourceLines, (ctx) => ctx.replace('lines', { source: 'a' }, [{ key: '1' }, { key: '2' }]));
      const failed = await runWith(db, sourceLines, (ctx) =>
        ctx.replace(
          'lines',
          { source: 'a' },
          (async function* () {
            yield { key: '9' };
            throw new Error('the file was cut short');
          })(),
        ),
      );
      assert.equal(failed.exitCode, 1);
      assert.deepEqual(
        (await db.query('SELECT key FROM lines ORDER BY key')).map((r) => r.key),
        ['1', '2'],
      );
    });

    it('replace with hundreds of rows, many to a statement: exact counts, the rows gone deleted, a key twice', async () => {
      const db = await target.fresh();
      const lines: TablesSchema = {
        lines: {
          columns: { source: 'text', key: 'text', v: 'text' },
          primaryKey: ['source', 'key'],
          mode: 'replace',
          scope: ['source'],
        },
      };
      const keyed = (from: number, to: number, v: (i: number) => string) =>
        Array.from({ length: to - from }, (_, k) => ({ key: String(from + k).padStart(4, '0'), v: v(from + k) }));
      await runWith(db, lines, (ctx) => ctx.replace('lines', { source: 'a' }, keyed(0, 600, String)));
      const again = [
        ...keyed(100, 400, (i) => (i < 200 ? `${i}!` : String(i))),
        ...keyed(600, 700, String),
        ...keyed(650, 652, (i) => `${i}?`),
      ];
      const second = await runWith(db, lines, (ctx) => ctx.replace('lines', { source: 'a' }, again));
      // 100 changed + 2 repeated keys changed again; 200 unchanged; 100 new; 0-99 and 400-599 gone.
      assert.deepEqual(second.counts, {
        read: 0,
        inserted: 100,
        updated: 102,
        unchanged: 200,
        deleted: 300,
        rejected: 0,
      });
      const table = await db.query('SELECT key, v FROM lines ORDER BY key');
      assert.equal(table.length, 400);
      assert.deepEqual(
        [table[0], table.find((r) => r.key === '0650'), table.at(-1)],
        [
          { key: '0100', v: '100!' },
          { key: '0650', v: '650?' },
          { key: '0699', v: '699' },
        ],
      );
    });

    it('replace with thousands of rows in a scope that held rows: only the rows gone are deleted', async () => {
      const db = await target.fresh();
      const keyed = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, k) => ({ key: String(from + k).padStart(5, '0') }));
      await runWith(db, sourceLines, (ctx) => ctx.replace('lines', { source: 'a' }, keyed(0, 9000)));
      // More keys than one statement remembers (4096), and a tail remembered one by one.
      const second = await runWith(db, sourceLines, (ctx) => ctx.replace('lines', { source: 'a' }, keyed(500, 9300)));
      assert.deepEqual(second.counts, {
        read: 0,
        inserted: 300,
        updated: 0,
        unchanged: 8500,
        deleted: 500,
        rejected: 0,
      });
      const [row] = await db.query('SELECT count(*) AS n, min(key) AS lo, max(key) AS hi FROM lines');
      assert.deepEqual({ ...row, n: Number(row?.n) }, { n: 8800, lo: '00500', hi: '09299' });
    });

    it('a grown declaration adds nullable columns and keeps every row; a changed key is refused', async () => {
      const db = await target.fresh();
      await runWith(db, { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['id'] } }, (ctx) =>
        ctx.write('t', { id: '1', a: 'x' }),
      );
      const grown = await runWith(
        db,
        { t: { columns: { id: 'text', a: 'text', b: 'integer' }, primaryKey: ['id'] } },
        (ctx) => ctx.write('t', { id: '2', a: 'y', b: 7 }),
      );
      assert.equal(grown.exitCode, 0, grown.error?.message);
      assert.deepEqual(await db.query('SELECT id, a, CAST(b AS INTEGER) AS b FROM t ORDER BY id'), [
        { id: '1', a: 'x', b: null },
        { id: '2', a: 'y', b: 7 },
      ]);
      const rekeyed = await runWith(
        db,
        { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['a'] } },
        async () => {},
      );
      assert.deepEqual([rekeyed.exitCode, rekeyed.error?.code], [65, 'SCHEMA_MISMATCH']);
    });

    it('ctx.defineTable during a run creates the table, and grows it for rows of a new shape', async () => {
      const db = await target.fresh();
      const result = await runWith(db, {}, async (ctx) => {
        await ctx.defineTable('csv', { columns: { id: 'text', a: 'text' }, primaryKey: ['id'] });
        await ctx.write('csv', [
          { id: '1', a: 'x' },
          { id: '2', a: 'y' },
          { id: '3', a: 'z' },
        ]);
        await ctx.defineTable('csv', { columns: { id: 'text', a: 'text', b: 'text' }, primaryKey: ['id'] });
        await ctx.write('csv', { id: '1', a: 'x', b: 'new' });
      });
      assert.equal(result.exitCode, 0, result.error?.message);
      assert.deepEqual([result.counts.inserted, result.counts.updated], [3, 1]);
      assert.deepEqual(
        (await db.query('SELECT id, b FROM csv ORDER BY id')).map((r) => r.b),
        ['new', null, null],
      );
    });

    it('a row without its key fails the run as bad data (65), keeping earlier batches', async () => {
      const db = await target.fresh();
      const result = await runWith(db, people, (ctx) =>
        ctx.write('people', [{ id: 'a' }, { id: 'b' }, { name: 'no id' }]),
      );
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'KEY_MISSING']);
      assert.deepEqual(
        (await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id),
        ['a', 'b'],
        'the first batch of 2 was committed',
      );
    });

    it('integer and boolean keys in any order: every new row counts as inserted, and a failed guard takes them all back', async () => {
      const db = await target.fresh();
      const tables: TablesSchema = {
        t: { columns: { id: 'integer', v: 'text' }, primaryKey: ['id'] },
        f: { columns: { on: 'boolean', v: 'text' }, primaryKey: ['on'] },
      };
      const work = (ids: number[]) => async (ctx: JobContext) => {
        await ctx.write(
          't',
          ids.map((id) => ({ id, v: `v${id}` })),
        );
        await ctx.write('f', [
          { on: true, v: 'yes' },
          { on: false, v: 'no' },
        ]);
      };
      const first = await runWith(db, tables, work([10, 5, 7]), { batchSize: 100 });
      assert.deepEqual([first.counts.inserted, first.counts.updated], [5, 0]);
      const failed = await runWith(db, tables, work([3, 1, 10, 2]), { minRecords: 1000 });
      assert.equal(failed.exitCode, 65);
      assert.deepEqual(
        (await db.query('SELECT CAST(id AS INTEGER) AS id FROM t ORDER BY id')).map((r) => r.id),
        [5, 7, 10],
        'rows inserted below the highest key are gone too',
      );
    });

    it('a failed guard takes back inserts, updates and replace deletes, blobs and reals included', async () => {
      const db = await target.fresh();
      const tables: TablesSchema = {
        files: {
          columns: { src: 'text', k: 'text', n: 'real', b: 'blob', j: 'json' },
          primaryKey: ['src', 'k'],
          mode: 'replace',
          scope: ['src'],
        },
      };
      const first = [
        { k: '1', n: 1.5, b: new Uint8Array([0, 255]), j: { a: [1] } },
        { k: '2', n: 2, b: null, j: null },
        { k: '3', n: -0.25, b: new Uint8Array([7]), j: 'x' },
      ];
      await runWith(db, tables, (ctx) => ctx.replace('files', { src: 'f' }, first));
      const before = await db.query('SELECT * FROM files ORDER BY k');
      const second = await runWith(
        db,
        tables,
        (ctx) =>
          ctx.replace('files', { src: 'f' }, [
            { k: '1', n: 9, b: null, j: null },
            { k: '4', n: 4, b: null, j: null },
          ]),
        { minRecords: 1000 },
      );
      assert.deepEqual([second.exitCode, second.error?.code], [65, 'TOO_FEW_RECORDS']);
      assert.deepEqual(await db.query('SELECT * FROM files ORDER BY k'), before);
      assert.deepEqual(
        await db.tables(),
        ['_ferry_checkpoints', '_ferry_rejects', '_ferry_runs', 'files'],
        "the journal lived in the run's own session only",
      );
    });

    it('a failed guard takes back rows the run inserted and then changed or deleted, and rows it changed twice', async () => {
      const db = await target.fresh();
      const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
      await runWith(db, t, (ctx) =>
        ctx.write('t', [
          { id: 'a', v: 'a0' },
          { id: 'b', v: 'b0' },
        ]),
      );
      const before = await db.query('SELECT * FROM t ORDER BY id');
      const failed = await runWith(
        db,
        t,
        async (ctx) => {
          await ctx.write('t', [
            { id: 'a', v: 'a1' },
            { id: 'new', v: 'n0' },
          ]); // batch 1: update a, insert new
          await ctx.write('t', [
            { id: 'a', v: 'a2' },
            { id: 'new', v: 'n1' },
          ]); // batch 2: both again
          await ctx.write('t', [
            { id: 'b', v: 'b1' },
            { id: 'b', v: 'b2' },
          ]); // batch 3: b twice in one batch
        },
        { minRecords: 1 },
      );
      assert.deepEqual([failed.exitCode, failed.error?.code], [65, 'TOO_FEW_RECORDS']);
      assert.deepEqual(await db.query('SELECT * FROM t ORDER BY id'), before);

      const lines: TablesSchema = {
        lines: { columns: { s: 'text', k: 'text', v: 'text' }, primaryKey: ['s', 'k'], mode: 'replace', scope: ['s'] },
      };
      await runWith(db, lines, (ctx) =>
        ctx.replace('lines', { s: 'x' }, [
          { k: '1', v: 'one' },
          { k: '2', v: 'two' },
        ]),
      );
      const kept = await db.query('SELECT * FROM lines ORDER BY k');
      const replaced = await runWith(
        db,
        lines,
        async (ctx) => {
          await ctx.replace('lines', { s: 'x' }, [
            { k: '1', v: 'ONE' },
            { k: '3', v: 'three' },
          ]); // updates 1, inserts 3, deletes 2
          await ctx.replace('lines', { s: 'x' }, [{ k: '3', v: 'THREE' }]); // deletes 1 (updated by the run), updates 3
        },
        { minRecords: 1 },
      );
      assert.equal(replaced.exitCode, 65);
      assert.deepEqual(await db.query('SELECT * FROM lines ORDER BY k'), kept);
    });

    it('a dry run of a failing guard reports what a real run reports, and writes nothing', async () => {
      const db = await target.fresh();
      const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
      const dry = await runWith(
        db,
        t,
        (ctx) =>
          ctx.write('t', [
            { id: 'a', v: '1' },
            { id: 'b', v: '2' },
            { id: 'c', v: '3' },
          ]),
        { dryRun: true, minRecords: 1 },
      );
      assert.deepEqual([dry.exitCode, dry.counts.inserted], [65, 0]);
      assert.deepEqual(await db.query('SELECT count(*) AS n FROM t'), [{ n: 0 }]);
      assert.deepEqual(await db.query('SELECT count(*) AS n FROM _ferry_runs'), [{ n: 0 }]);
    });

    it('counts stay exact when writes to two tables interleave in one batch', async () => {
      const db = await target.fresh();
      const two: TablesSchema = {
        a: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] },
        b: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] },
      };
      const first = await runWith(db, two, async (ctx) => {
        for (const id of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) await ctx.write('a', { id, v: 'x' });
        for (const id of ['1', '2']) await ctx.write('b', { id, v: 'x' });
      });
      assert.equal(first.counts.inserted, 11);
      const second = await runWith(
        db,
        two,
        async (ctx) => {
          await ctx.write('b', { id: '3', v: 'new' }); // an insert into b: in SQLite rowid 3, below a's highest (9)
          await ctx.write('a', { id: '1', v: 'changed' }); // an update of a right after it
          await ctx.write('a', { id: '10', v: 'new' }); // an insert into a: last_insert_rowid 10…
          await ctx.write('b', { id: '1', v: 'changed' }); // …then an update of b, whose highest rowid is 3
          await ctx.write('a', { id: '2', v: 'x' }); // unchanged
        },
        { batchSize: 100 },
      );
      assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [2, 2, 1]);
    });

    it('many rows per statement count exactly as one row at a time: inserts, updates, unchanged and a key twice', async () => {
      const rowsOf = (from: number, to: number, age: (i: number) => number): Row[] =>
        Array.from({ length: to - from }, (_, k) => ({
          id: `p${String(from + k).padStart(4, '0')}`,
          name: 'n',
          age: age(from + k),
          tags: null,
          active: true,
        }));
      const second = [
        ...rowsOf(0, 300, (i) => (i >= 100 && i < 150 ? i + 1 : i)), // 100 unchanged, 50 updated, 150 unchanged
        ...rowsOf(300, 430, (i) => i), // 130 new
        ...rowsOf(310, 312, (i) => -i), // two keys again in the same statement: updated
        ...rowsOf(5, 6, (i) => i), // one again, unchanged
      ];
      const results = [];
      for (const batchSize of [2, 1000]) {
        const db = await target.fresh();
        await runWith(
          db,
          people,
          (ctx) =>
            ctx.write(
              'people',
              rowsOf(0, 300, (i) => i),
            ),
          { batchSize },
        );
        const { counts } = await runWith(db, people, (ctx) => ctx.write('people', second), { batchSize });
        results.push({ counts, table: await db.query(PEOPLE) });
      }
      assert.deepEqual(results[0]?.counts, {
        read: 0,
        inserted: 130,
        updated: 52,
        unchanged: 251,
        deleted: 0,
        rejected: 0,
      });
      assert.deepEqual(results[1], results[0]);
    });

    it('a run that writes from memory and never checks for cancellation still stops at a batch boundary when aborted', async () => {
      const db = await target.fresh();
      const controller = new AbortController();
      const result = await runWith(
        db,
        people,
        async (ctx) => {
          // Aborts at the first turn of the event loop, which comes only if writing yields one.
          setImmediate(() => controller.abort(new CancelledError('stop')));
          for (let i = 0; i < 1_000_000; i++)
            await ctx.write('people', { id: `p${i}`, name: 'x', age: i, tags: null, active: true });
        },
        { batchSize: 100, signal: controller.signal },
      );
      assert.equal(result.status, 'cancelled');
      const [{ n } = { n: 0 }] = (await db.query('SELECT count(*) AS n FROM people')) as { n: number }[];
      assert.ok(n > 0 && n < 1_000_000 && n % 100 === 0, `whole batches only, and not all of them: ${n}`);
    });
  });
}
