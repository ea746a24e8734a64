// The write modes on PostgreSQL, mirroring test/stores/sqlite/write-modes.test.ts, plus what only
// this store has to get right: a key twice in one batch, the column types, and taking back a run
// without rowids.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineJob, runJob, type JobContext, type Store, type TableSpec, type TablesSchema } from 'ferry';
import { postgres } from 'ferry/postgres';
import { freshSchema, postgresUnavailable, type TestSchema } from './test-database.ts';

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined) describe('postgres write modes', () => {
  const schemas: TestSchema[] = [];
  after(() => Promise.all(schemas.map((s) => s.drop())));
  const fresh = async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    return schema;
  };
  const open = (db: TestSchema, batchSize = 2) => async () => (await postgres().open({ dbUrl: db.url, batchSize }, 'write')) as Store;

  /** Runs a job that hands rows to `write` (or to replace, with a scope) against the schema. */
  const runWith = (db: TestSchema, tables: TablesSchema, work: (ctx: JobContext) => Promise<void>, options: { minRecords?: number; batchSize?: number } = {}) => {
    const job = defineJob({ name: 'modes', version: '1', description: 'test', store: postgres(), tables, config: {}, run: work });
    return runJob(job, {}, { store: open(db), batchSize: options.batchSize ?? 2, ...(options.minRecords ? { minRecords: options.minRecords } : {}) });
  };

  const people: TablesSchema = { people: { columns: { id: 'text', name: 'text', age: 'integer', tags: 'json', active: 'boolean' }, primaryKey: ['id'] } };

  it('upsert inserts new rows, updates only real changes, counts the rest unchanged', async () => {
    const db = await fresh();
    const first = await runWith(db, people, (ctx) => ctx.write('people', [
      { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
      { id: 'b', name: 'Bob', age: 40, tags: [], active: false },
      { id: 'c', name: 'Cy', age: null, tags: null, active: true },
    ]));
    assert.deepEqual(first.counts, { read: 0, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
    const second = await runWith(db, people, (ctx) => ctx.write('people', [
      { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
      { id: 'b', name: 'Bob', age: 41, tags: [], active: false },
      { id: 'c', name: 'Cy', age: null, tags: null, active: true },
      { id: 'd', name: 'Di', age: 5, tags: ['y'], active: false },
    ]));
    assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [1, 1, 2]);
    // BIGINT reads back as a string (pg keeps 64 bits exact), booleans as booleans.
    assert.deepEqual(await db.query('SELECT * FROM people ORDER BY id'), [
      { id: 'a', name: 'Ann', age: '30', tags: '["x"]', active: true },
      { id: 'b', name: 'Bob', age: '41', tags: '[]', active: false },
      { id: 'c', name: 'Cy', age: null, tags: null, active: true },
      { id: 'd', name: 'Di', age: '5', tags: '["y"]', active: false },
    ]);
  });

  it('a key twice in one batch: the last one wins, and every row is counted as SQLite counts it', async () => {
    const db = await fresh();
    const result = await runWith(db, people, (ctx) => ctx.write('people', [
      { id: 'a', name: 'first' }, { id: 'b', name: 'Bob' }, { id: 'a', name: 'second' }, { id: 'a', name: 'second' }, { id: 'a', name: 'third' },
    ]), { batchSize: 100 });
    assert.equal(result.exitCode, 0, result.error?.message);
    assert.deepEqual([result.counts.inserted, result.counts.updated, result.counts.unchanged], [2, 2, 1]);
    assert.deepEqual((await db.query('SELECT id, name FROM people ORDER BY id')), [{ id: 'a', name: 'third' }, { id: 'b', name: 'Bob' }]);
  });

  it('into a table empty at the start, batches are COPYed directly until a key repeats; that batch and the rest are upserts', async () => {
    const db = await fresh();
    const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
    const result = await runWith(db, t, (ctx) => ctx.write('t', [
      { id: '1', v: 'a' }, { id: '2', v: 'a' }, // batch 1: direct
      { id: '3', v: 'a' }, { id: '1', v: 'b' }, // batch 2: 1 exists: rolled back, upserted
      { id: '2', v: 'a' }, { id: '4', v: 'a' }, // batch 3: upsert from now on
    ]));
    assert.equal(result.exitCode, 0, result.error?.message);
    assert.deepEqual([result.counts.inserted, result.counts.updated, result.counts.unchanged], [4, 1, 1]);
    assert.deepEqual(await db.query('SELECT * FROM t ORDER BY id'), [{ id: '1', v: 'b' }, { id: '2', v: 'a' }, { id: '3', v: 'a' }, { id: '4', v: 'a' }]);
    const failed = await runWith(db, { fresh: t.t as TableSpec }, (ctx) => ctx.write('fresh', [{ id: '1', v: 'x' }, { id: '2', v: 'y' }, { id: '3', v: 'z' }]), { minRecords: 1 });
    assert.deepEqual([failed.exitCode, failed.counts.inserted], [65, 0]);
    assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM fresh'), [{ n: 0 }], 'rows COPYed directly are taken back too');
  });

  it('append inserts once and ignores repeats of its key', async () => {
    const db = await fresh();
    const events: TablesSchema = { events: { columns: { id: 'text', what: 'text' }, primaryKey: ['id'], mode: 'append' } };
    await runWith(db, events, (ctx) => ctx.write('events', [{ id: '1', what: 'first' }, { id: '2', what: 'second' }]));
    const again = await runWith(db, events, (ctx) => ctx.write('events', [{ id: '1', what: 'CHANGED' }, { id: '3', what: 'third' }]));
    assert.deepEqual([again.counts.inserted, again.counts.updated, again.counts.unchanged], [1, 0, 1]);
    assert.deepEqual((await db.query('SELECT what FROM events ORDER BY id')).map((r) => r.what), ['first', 'second', 'third']);
  });

  it('replace makes a scope exactly the rows given, deleting and counting the rows gone, leaving other scopes alone', async () => {
    const db = await fresh();
    const lines: TablesSchema = { lines: { columns: { source: 'text', key: 'text', v: 'text' }, primaryKey: ['source', 'key'], mode: 'replace', scope: ['source'] } };
    await runWith(db, lines, async (ctx) => {
      await ctx.replace('lines', { source: 'a.csv' }, [{ key: '1', v: 'x' }, { key: '2', v: 'y' }, { key: '3', v: 'z' }]);
      await ctx.replace('lines', { source: 'b.csv' }, [{ key: '1', v: 'other' }]);
    });
    const second = await runWith(db, lines, (ctx) => ctx.replace('lines', { source: 'a.csv' }, (async function* () {
      yield { key: '1', v: 'x' };
      yield { key: '3', v: 'zz' };
      yield { key: '4', v: 'new' };
    })()));
    assert.deepEqual(second.counts, { read: 0, inserted: 1, updated: 1, unchanged: 1, deleted: 1, rejected: 0 });
    assert.deepEqual(await db.query('SELECT source, key, v FROM lines ORDER BY source, key'), [
      { source: 'a.csv', key: '1', v: 'x' }, { source: 'a.csv', key: '3', v: 'zz' }, { source: 'a.csv', key: '4', v: 'new' }, { source: 'b.csv', key: '1', v: 'other' },
    ]);
  });

  it('a replace that fails half way leaves the scope as it was', async () => {
    const db = await fresh();
    const lines: TablesSchema = { lines: { columns: { source: 'text', key: 'text' }, primaryKey: ['source', 'key'], mode: 'replace', scope: ['source'] } };
    await runWith(db, lines, (ctx) => ctx.replace('lines', { source: 'a' }, [{ key: '1' }, { key: '2' }]));
    const failed = await runWith(db, lines, (ctx) => ctx.replace('lines', { source: 'a' }, (async function* () {
      yield { key: '9' };
      throw new Error('the file was cut short');
    })()));
    assert.equal(failed.exitCode, 1);
    assert.deepEqual((await db.query('SELECT key FROM lines ORDER BY key')).map((r) => r.key), ['1', '2']);
  });

  it('a grown declaration adds nullable columns and keeps every row; a changed key is refused', async () => {
    const db = await fresh();
    await runWith(db, { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['id'] } }, (ctx) => ctx.write('t', { id: '1', a: 'x' }));
    const grown = await runWith(db, { t: { columns: { id: 'text', a: 'text', b: 'integer' }, primaryKey: ['id'] } }, (ctx) => ctx.write('t', { id: '2', a: 'y', b: 7 }));
    assert.equal(grown.exitCode, 0, grown.error?.message);
    assert.deepEqual(await db.query('SELECT * FROM t ORDER BY id'), [{ id: '1', a: 'x', b: null }, { id: '2', a: 'y', b: '7' }]);
    const rekeyed = await runWith(db, { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['a'] } }, async () => {});
    assert.deepEqual([rekeyed.exitCode, rekeyed.error?.code], [65, 'SCHEMA_MISMATCH']);
  });

  it('ctx.defineTable during a run creates the table, and grows it for rows of a new shape', async () => {
    const db = await fresh();
    const result = await runWith(db, {}, async (ctx) => {
      await ctx.defineTable('csv', { columns: { id: 'text', a: 'text' }, primaryKey: ['id'] });
      await ctx.write('csv', [{ id: '1', a: 'x' }, { id: '2', a: 'y' }, { id: '3', a: 'z' }]);
      await ctx.defineTable('csv', { columns: { id: 'text', a: 'text', b: 'text' }, primaryKey: ['id'] });
      await ctx.write('csv', { id: '1', a: 'x', b: 'new' });
    });
    assert.equal(result.exitCode, 0, result.error?.message);
    assert.deepEqual([result.counts.inserted, result.counts.updated], [3, 1]);
    assert.deepEqual((await db.query('SELECT id, b FROM csv ORDER BY id')).map((r) => r.b), ['new', null, null]);
  });

  it('a column name longer than PostgreSQL keeps (63 bytes) is refused before anything is created', async () => {
    const db = await fresh();
    const long = 'a_column_name_that_a_csv_header_could_well_have_but_postgres_cuts';
    const result = await runWith(db, { t: { columns: { id: 'text', [long]: 'text' }, primaryKey: ['id'] } }, async () => {});
    assert.deepEqual([result.exitCode, result.error?.code], [65, 'PG_NAME_TOO_LONG']);
    assert.deepEqual(await db.query(`SELECT to_regclass('t') AS t`), [{ t: null }]);
  });

  it('a row without its key fails the run as bad data (65), keeping earlier batches', async () => {
    const db = await fresh();
    const result = await runWith(db, people, (ctx) => ctx.write('people', [{ id: 'a' }, { id: 'b' }, { name: 'no id' }]));
    assert.deepEqual([result.exitCode, result.error?.code], [65, 'KEY_MISSING']);
    assert.deepEqual((await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id), ['a', 'b'], 'the first batch of 2 was committed');
  });

  it('a value the column type refuses fails as bad data (65), naming the column; earlier batches stay', async () => {
    const db = await fresh();
    const result = await runWith(db, people, (ctx) => ctx.write('people', [{ id: 'a', age: 1 }, { id: 'b', age: 2 }, { id: 'c', age: 1.5 }]));
    assert.deepEqual([result.exitCode, result.error?.code], [65, 'PG_DATA']);
    assert.match(result.error?.message ?? '', /bigint: "1\.5".*column age/);
    assert.deepEqual((await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id), ['a', 'b']);
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
    assert.deepEqual((await db.query('SELECT id FROM people ORDER BY id')).map((r) => r.id), ['p00', 'p01', 'p02', 'p03']);
    assert.deepEqual((await db.query("SELECT value FROM _ferry_checkpoints WHERE job = 'modes'")).map((r) => JSON.parse(r.value as string) as unknown), [{ next: 3 }], 'the checkpoint set after p02, committed with p03 — never past the data');
    assert.ok(wroteAfterFailure <= 2, `the job stopped at its next write after the failed batch, not ${wroteAfterFailure} writes later`);
  });

  it('integer and boolean keys in any order: every new row counts as inserted, and a failed guard takes them all back', async () => {
    const db = await fresh();
    const tables: TablesSchema = { t: { columns: { id: 'integer', v: 'text' }, primaryKey: ['id'] }, f: { columns: { on: 'boolean', v: 'text' }, primaryKey: ['on'] } };
    const work = (ids: number[]) => async (ctx: JobContext) => {
      await ctx.write('t', ids.map((id) => ({ id, v: `v${id}` })));
      await ctx.write('f', [{ on: true, v: 'yes' }, { on: false, v: 'no' }]);
    };
    const first = await runWith(db, tables, work([10, 5, 7]), { batchSize: 100 });
    assert.deepEqual([first.counts.inserted, first.counts.updated], [5, 0]);
    const failed = await runWith(db, tables, work([3, 1, 10, 2]), { minRecords: 1000 });
    assert.equal(failed.exitCode, 65);
    assert.deepEqual((await db.query('SELECT id FROM t ORDER BY id')).map((r) => r.id), ['5', '7', '10']);
  });

  it('every column type round-trips exactly, so a rerun finds it unchanged', async () => {
    const db = await fresh();
    const tables: TablesSchema = { v: { columns: { k: 'text', i: 'integer', r: 'real', b: 'boolean', j: 'json', x: 'blob', t: 'text' }, primaryKey: ['k'] } };
    const rows = [
      { k: 'tabs', i: 2 ** 53 - 1, r: 0.1 + 0.2, b: true, j: { z: 1, a: [1.5, 'é', null] }, x: new Uint8Array([0, 92, 9, 10, 255]), t: 'a\tb\nc\\d\re "q" \'s\' \\N' },
      { k: 'edges', i: -1, r: -1e-300, b: false, j: 'just a string', x: new Uint8Array([]), t: '' },
      { k: 'nulls', i: null, r: null, b: null, j: null, x: null, t: null },
    ];
    const first = await runWith(db, tables, (ctx) => ctx.write('v', rows));
    assert.equal(first.exitCode, 0, first.error?.message);
    const again = await runWith(db, tables, (ctx) => ctx.write('v', rows));
    assert.deepEqual([again.counts.inserted, again.counts.updated, again.counts.unchanged], [0, 0, 3]);
    const [tabs] = await db.query('SELECT * FROM v WHERE k = $1', ['tabs']);
    assert.deepEqual(tabs, { k: 'tabs', i: String(2 ** 53 - 1), r: 0.1 + 0.2, b: true, j: '{"z":1,"a":[1.5,"é",null]}', x: Buffer.from([0, 92, 9, 10, 255]), t: 'a\tb\nc\\d\re "q" \'s\' \\N' });
    const [edges] = await db.query('SELECT * FROM v WHERE k = $1', ['edges']);
    assert.deepEqual(edges, { k: 'edges', i: '-1', r: -1e-300, b: false, j: '"just a string"', x: Buffer.from([]), t: '' });
  });

  it('a failed guard takes back inserts, updates and replace deletes, blobs and reals included', async () => {
    const db = await fresh();
    const tables: TablesSchema = { files: { columns: { src: 'text', k: 'text', n: 'real', b: 'blob', j: 'json' }, primaryKey: ['src', 'k'], mode: 'replace', scope: ['src'] } };
    const first = [{ k: '1', n: 1.5, b: new Uint8Array([0, 255]), j: { a: [1] } }, { k: '2', n: 2, b: null, j: null }, { k: '3', n: -0.25, b: new Uint8Array([7]), j: 'x' }];
    await runWith(db, tables, (ctx) => ctx.replace('files', { src: 'f' }, first));
    const before = await db.query('SELECT * FROM files ORDER BY k');
    const second = await runWith(db, tables, (ctx) => ctx.replace('files', { src: 'f' }, [{ k: '1', n: 9, b: null, j: null }, { k: '4', n: 4, b: null, j: null }]), { minRecords: 1000 });
    assert.deepEqual([second.exitCode, second.error?.code], [65, 'TOO_FEW_RECORDS']);
    assert.deepEqual(await db.query('SELECT * FROM files ORDER BY k'), before);
    assert.deepEqual(await db.query(`SELECT to_regclass('_ferry_undo') AS journal`), [{ journal: null }], 'the journal lived in the run\'s session only');
  });

  it('a failed guard takes back rows the run inserted and then changed or deleted, and rows it changed twice', async () => {
    const db = await fresh();
    const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
    await runWith(db, t, (ctx) => ctx.write('t', [{ id: 'a', v: 'a0' }, { id: 'b', v: 'b0' }]));
    const before = await db.query('SELECT * FROM t ORDER BY id');
    const failed = await runWith(db, t, async (ctx) => {
      await ctx.write('t', [{ id: 'a', v: 'a1' }, { id: 'new', v: 'n0' }]); // batch 1: update a, insert new
      await ctx.write('t', [{ id: 'a', v: 'a2' }, { id: 'new', v: 'n1' }]); // batch 2: both again
      await ctx.write('t', [{ id: 'b', v: 'b1' }, { id: 'b', v: 'b2' }]); // batch 3: b twice in one batch
    }, { minRecords: 1 });
    assert.deepEqual([failed.exitCode, failed.error?.code], [65, 'TOO_FEW_RECORDS']);
    assert.deepEqual(await db.query('SELECT * FROM t ORDER BY id'), before);

    const lines: TablesSchema = { lines: { columns: { s: 'text', k: 'text', v: 'text' }, primaryKey: ['s', 'k'], mode: 'replace', scope: ['s'] } };
    await runWith(db, lines, (ctx) => ctx.replace('lines', { s: 'x' }, [{ k: '1', v: 'one' }, { k: '2', v: 'two' }]));
    const kept = await db.query('SELECT * FROM lines ORDER BY k');
    const replaced = await runWith(db, lines, async (ctx) => {
      await ctx.replace('lines', { s: 'x' }, [{ k: '1', v: 'ONE' }, { k: '3', v: 'three' }]); // updates 1, inserts 3, deletes 2
      await ctx.replace('lines', { s: 'x' }, [{ k: '3', v: 'THREE' }]); // deletes 1 (updated by the run), updates 3
    }, { minRecords: 1 });
    assert.equal(replaced.exitCode, 65);
    assert.deepEqual(await db.query('SELECT * FROM lines ORDER BY k'), kept);
  });

  it('a dry run of a failing guard reports what a real run reports, and writes nothing', async () => {
    const db = await fresh();
    const t: TablesSchema = { t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
    const job = defineJob({ name: 'modes', version: '1', description: 'test', store: postgres(), tables: t, config: {}, run: (ctx) => ctx.write('t', [{ id: 'a', v: '1' }, { id: 'b', v: '2' }, { id: 'c', v: '3' }]) });
    const dry = await runJob(job, {}, { store: open(db), batchSize: 2, dryRun: true, minRecords: 1 });
    assert.deepEqual([dry.exitCode, dry.counts.inserted], [65, 0]);
    assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM t'), [{ n: 0 }]);
    assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM _ferry_runs'), [{ n: 0 }]);
  });
});
