// What only the PostgreSQL store has to get right, beyond the write modes every store shares
// (test/stores/write-modes.test.ts): the direct COPY into an empty table, names PostgreSQL would
// cut, values its column types refuse, and every column type read back as written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineJob, runJob, type JobContext, type Store, type TableSpec, type TablesSchema } from 'ferry';
import { postgres } from 'ferry/postgres';
import { postgresUnavailable, suiteSchemas, type TestSchema } from './test-database.ts';

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('postgres write modes', () => {
    const fresh = suiteSchemas();
    const open =
      (db: TestSchema, batchSize = 2) =>
      async () =>
        (await postgres().open({ dbUrl: db.url, batchSize }, 'write')) as Store;

    /** Runs a job that hands rows to `write` (or to replace, with a scope) against the schema. */
    const runWith = (
      db: TestSchema,
      tables: TablesSchema,
      work: (ctx: JobContext) => Promise<void>,
      options: { minRecords?: number; batchSize?: number } = {},
    ) => {
      const job = defineJob({
        name: 'modes',
        version: '1',
        description: 'test',
        store: postgres(),
        tables,
        config: {},
        run: work,
      });
      return runJob(
        job,
        {},
        {
          store: open(db),
          batchSize: options.batchSize ?? 2,
          ...(options.minRecords ? { minRecords: options.minRecords } : {}),
        },
      );
    };

    const people: TablesSchema = {
      people: {
        columns: { id: 'text', name: 'text', age: 'integer', tags: 'json', active: 'boolean' },
        primaryKey: ['id'],
      },
    };

    it('into a table empty at the start, batches are COPYed directly until a key repeats; that batch and the rest are upserts', async () => {
      const db = await fresh();
      const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
      const result = await runWith(db, t, (ctx) =>
        ctx.write('t', [
          { id: '1', v: 'a' },
          { id: '2', v: 'a' }, // batch 1: direct
          { id: '3', v: 'a' },
          { id: '1', v: 'b' }, // batch 2: 1 exists: rolled back, upserted
          { id: '2', v: 'a' },
          { id: '4', v: 'a' }, // batch 3: upsert from now on
        ]),
      );
      assert.equal(result.exitCode, 0, result.error?.message);
      assert.deepEqual([result.counts.inserted, result.counts.updated, result.counts.unchanged], [4, 1, 1]);
      assert.deepEqual(await db.query('SELECT * FROM t ORDER BY id'), [
        { id: '1', v: 'b' },
        { id: '2', v: 'a' },
        { id: '3', v: 'a' },
        { id: '4', v: 'a' },
      ]);
      const failed = await runWith(
        db,
        { fresh: t.t as TableSpec },
        (ctx) =>
          ctx.write('fresh', [
            { id: '1', v: 'x' },
            { id: '2', v: 'y' },
            { id: '3', v: 'z' },
          ]),
        { minRecords: 1 },
      );
      assert.deepEqual([failed.exitCode, failed.counts.inserted], [65, 0]);
      assert.deepEqual(
        await db.query('SELECT count(*)::int AS n FROM fresh'),
        [{ n: 0 }],
        'rows COPYed directly are taken back too',
      );
    });

    it('a rerun over unchanged rows neither rewrites nor locks them; a changed row is updated', async () => {
      const db = await fresh();
      const rows = [
        { id: 'a', name: 'Ada', age: 36, tags: '["x"]', active: true },
        { id: 'b', name: null, age: null, tags: null, active: null }, // NULLs compare as equal, not unknown
        { id: 'c', name: 'Cy', age: 3, tags: '{}', active: false },
      ];
      assert.equal((await runWith(db, people, (ctx) => ctx.write('people', rows))).exitCode, 0);
      await runWith(db, people, (ctx) => ctx.write('people', { id: 'd', name: 'Dee' })); // from now on: upserts
      const stamp = () => db.query(`SELECT id, ctid::text, xmin::text, xmax::text FROM people ORDER BY id`);
      const before = await stamp();
      const rerun = await runWith(db, people, (ctx) => ctx.write('people', [...rows, { id: 'd', name: 'Dee!' }]));
      assert.deepEqual(
        [rerun.exitCode, rerun.counts.inserted, rerun.counts.updated, rerun.counts.unchanged],
        [0, 0, 1, 3],
      );
      const after = await stamp();
      assert.deepEqual(after.slice(0, 3), before.slice(0, 3), 'unchanged rows keep their version, unlocked (xmax 0)');
      assert.deepEqual(
        before.slice(0, 3).map((r) => r.xmax),
        ['0', '0', '0'],
      );
      assert.notEqual(after[3]?.xmin, before[3]?.xmin, 'the changed row is a new version');
    });

    it('a column name longer than PostgreSQL keeps (63 bytes) is refused before anything is created', async () => {
      const db = await fresh();
      const long = 'a_column_name_that_a_csv_header_could_well_have_but_postgres_cuts';
      const result = await runWith(
        db,
        { t: { columns: { id: 'text', [long]: 'text' }, primaryKey: ['id'] } },
        async () => {},
      );
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'PG_NAME_TOO_LONG']);
      assert.deepEqual(await db.query(`SELECT to_regclass('t') AS t`), [{ t: null }]);
    });

    it('a value the column type refuses fails as bad data (65), naming the column; earlier batches stay', async () => {
      const db = await fresh();
      const result = await runWith(db, people, (ctx) =>
        ctx.write('people', [
          { id: 'a', age: 1 },
          { id: 'b', age: 2 },
          { id: 'c', age: 1.5 },
        ]),
      );
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'PG_DATA']);
      assert.match(result.error?.message ?? '', /bigint: "1\.5".*column age/);
      assert.deepEqual(
        (await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id),
        ['a', 'b'],
      );
    });

    it('a batch that fails while the job reads on (commits run behind it) fails the run; no later batch or checkpoint is committed', async () => {
      const db = await fresh();
      let wroteAfterFailure = 0;
      const result = await runWith(db, people, async (ctx) => {
        for (let i = 0; i < 40; i++) {
          await ctx.write('people', { id: `p${String(i).padStart(2, '0')}`, age: i === 5 ? 1.5 : i });
          ctx.setCheckpoint({ next: i + 1 });
          if (i > 5) wroteAfterFailure++;
        }
      });
      assert.deepEqual([result.exitCode, result.error?.code], [65, 'PG_DATA']);
      assert.deepEqual(
        (await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id),
        ['p00', 'p01', 'p02', 'p03'],
      );
      assert.deepEqual(
        (await db.query("SELECT value FROM _ferry_checkpoints WHERE job = 'modes'")).map(
          (r) => JSON.parse(r.value as string) as unknown,
        ),
        [{ next: 3 }],
        'the checkpoint set after p02, committed with p03 — never past the data',
      );
      assert.ok(
        wroteAfterFailure <= 2,
        `the job stopped at its next write after the failed batch, not ${wroteAfterFailure} writes later`,
      );
    });

    it('every column type round-trips exactly, so a rerun finds it unchanged', async () => {
      const db = await fresh();
      const tables: TablesSchema = {
        v: {
          columns: { k: 'text', i: 'integer', r: 'real', b: 'boolean', j: 'json', x: 'blob', t: 'text' },
          primaryKey: ['k'],
        },
      };
      const rows = [
        {
          k: 'tabs',
          i: 2 ** 53 - 1,
          r: 0.1 + 0.2,
          b: true,
          j: { z: 1, a: [1.5, 'é', null] },
          x: new Uint8Array([0, 92, 9, 10, 255]),
          t: 'a\tb\nc\\d\re "q" \'s\' \\N',
        },
        { k: 'edges', i: -1, r: -1e-300, b: false, j: 'just a string', x: new Uint8Array([]), t: '' },
        { k: 'nulls', i: null, r: null, b: null, j: null, x: null, t: null },
      ];
      const first = await runWith(db, tables, (ctx) => ctx.write('v', rows));
      assert.equal(first.exitCode, 0, first.error?.message);
      const again = await runWith(db, tables, (ctx) => ctx.write('v', rows));
      assert.deepEqual([again.counts.inserted, again.counts.updated, again.counts.unchanged], [0, 0, 3]);
      const [tabs] = await db.query('SELECT * FROM v WHERE k = $1', ['tabs']);
      assert.deepEqual(tabs, {
        k: 'tabs',
        i: String(2 ** 53 - 1),
        r: 0.1 + 0.2,
        b: true,
        j: '{"z":1,"a":[1.5,"é",null]}',
        x: Buffer.from([0, 92, 9, 10, 255]),
        t: 'a\tb\nc\\d\re "q" \'s\' \\N',
      });
      const [edges] = await db.query('SELECT * FROM v WHERE k = $1', ['edges']);
      assert.deepEqual(edges, {
        k: 'edges',
        i: '-1',
        r: -1e-300,
        b: false,
        j: '"just a string"',
        x: Buffer.from([]),
        t: '',
      });
    });
  });
