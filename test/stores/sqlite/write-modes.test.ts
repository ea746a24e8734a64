import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { CancelledError, defineJob, runJob, type JobContext, type Row, type TableSpec, type TablesSchema } from 'ferry';
import { sqlite, SqliteStore } from 'ferry/sqlite';

async function freshPath(): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'ferry-modes-')), 'm.db');
}

/** Runs a job that hands `rows` to `write` (or to replace, with a scope) against `file`. */
async function runWith(file: string, tables: TablesSchema, work: (ctx: JobContext) => Promise<void>) {
  const job = defineJob({ name: 'modes', version: '1', description: 'test', store: sqlite(), tables, config: {}, run: work });
  return runJob(job, {}, { store: SqliteStore.open(file), batchSize: 2 });
}

function rows(file: string, sql: string): Row[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

const peopleSpec = { columns: { id: 'text', name: 'text', age: 'integer', tags: 'json', active: 'boolean' }, primaryKey: ['id'] } satisfies TableSpec;
const people: TablesSchema = { people: peopleSpec };

it('upsert inserts new rows, updates only real changes, counts the rest unchanged', async () => {
  const file = await freshPath();
  const first = await runWith(file, people, (ctx) => ctx.write('people', [
    { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
    { id: 'b', name: 'Bob', age: 40, tags: [], active: false },
    { id: 'c', name: 'Cy', age: null, tags: null, active: true },
  ]));
  assert.deepEqual(first.counts, { read: 0, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
  const second = await runWith(file, people, (ctx) => ctx.write('people', [
    { id: 'a', name: 'Ann', age: 30, tags: ['x'], active: true },
    { id: 'b', name: 'Bob', age: 41, tags: [], active: false },
    { id: 'c', name: 'Cy', age: null, tags: null, active: true },
    { id: 'd', name: 'Di', age: 5, tags: ['y'], active: false },
  ]));
  assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [1, 1, 2]);
  assert.deepEqual(rows(file, 'SELECT * FROM people ORDER BY id'), [
    { id: 'a', name: 'Ann', age: 30, tags: '["x"]', active: 1 },
    { id: 'b', name: 'Bob', age: 41, tags: '[]', active: 0 },
    { id: 'c', name: 'Cy', age: null, tags: null, active: 1 },
    { id: 'd', name: 'Di', age: 5, tags: '["y"]', active: 0 },
  ]);
});

it('append inserts once and ignores repeats of its key', async () => {
  const file = await freshPath();
  const events: TablesSchema = { events: { columns: { id: 'text', what: 'text' }, primaryKey: ['id'], mode: 'append' } };
  await runWith(file, events, (ctx) => ctx.write('events', [{ id: '1', what: 'first' }, { id: '2', what: 'second' }]));
  const again = await runWith(file, events, (ctx) => ctx.write('events', [{ id: '1', what: 'CHANGED' }, { id: '3', what: 'third' }]));
  assert.deepEqual([again.counts.inserted, again.counts.updated, again.counts.unchanged], [1, 0, 1]);
  assert.deepEqual(rows(file, 'SELECT * FROM events ORDER BY id').map((r) => r.what), ['first', 'second', 'third']);
});

it('replace makes a scope exactly the rows given, deleting and counting the rows gone, leaving other scopes alone', async () => {
  const file = await freshPath();
  const lines: TablesSchema = { lines: { columns: { source: 'text', key: 'text', v: 'text' }, primaryKey: ['source', 'key'], mode: 'replace', scope: ['source'] } };
  await runWith(file, lines, async (ctx) => {
    await ctx.replace('lines', { source: 'a.csv' }, [{ key: '1', v: 'x' }, { key: '2', v: 'y' }, { key: '3', v: 'z' }]);
    await ctx.replace('lines', { source: 'b.csv' }, [{ key: '1', v: 'other' }]);
  });
  const second = await runWith(file, lines, (ctx) => ctx.replace('lines', { source: 'a.csv' }, (async function* () {
    yield { key: '1', v: 'x' };
    yield { key: '3', v: 'zz' };
    yield { key: '4', v: 'new' };
  })()));
  assert.deepEqual(second.counts, { read: 0, inserted: 1, updated: 1, unchanged: 1, deleted: 1, rejected: 0 });
  assert.deepEqual(rows(file, 'SELECT source, key, v FROM lines ORDER BY source, key'), [
    { source: 'a.csv', key: '1', v: 'x' }, { source: 'a.csv', key: '3', v: 'zz' }, { source: 'a.csv', key: '4', v: 'new' }, { source: 'b.csv', key: '1', v: 'other' },
  ]);
});

it('a replace that fails half way leaves the scope as it was', async () => {
  const file = await freshPath();
  const lines: TablesSchema = { lines: { columns: { source: 'text', key: 'text' }, primaryKey: ['source', 'key'], mode: 'replace', scope: ['source'] } };
  await runWith(file, lines, (ctx) => ctx.replace('lines', { source: 'a' }, [{ key: '1' }, { key: '2' }]));
  const failed = await runWith(file, lines, (ctx) => ctx.replace('lines', { source: 'a' }, (async function* () {
    yield { key: '9' };
    throw new Error('the file was cut short');
  })()));
  assert.equal(failed.exitCode, 1);
  assert.deepEqual(rows(file, 'SELECT key FROM lines ORDER BY key').map((r) => r.key), ['1', '2']);
});

it('a grown declaration adds nullable columns and keeps every row; a changed key is refused', async () => {
  const file = await freshPath();
  await runWith(file, { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['id'] } }, (ctx) => ctx.write('t', { id: '1', a: 'x' }));
  const grown = await runWith(file, { t: { columns: { id: 'text', a: 'text', b: 'integer' }, primaryKey: ['id'] } }, (ctx) => ctx.write('t', { id: '2', a: 'y', b: 7 }));
  assert.equal(grown.exitCode, 0);
  assert.deepEqual(rows(file, 'SELECT * FROM t ORDER BY id'), [{ id: '1', a: 'x', b: null }, { id: '2', a: 'y', b: 7 }]);
  const rekeyed = await runWith(file, { t: { columns: { id: 'text', a: 'text' }, primaryKey: ['a'] } }, async () => {});
  assert.deepEqual([rekeyed.exitCode, rekeyed.error?.code], [65, 'SCHEMA_MISMATCH']);
});

it('a row without its key fails the run as bad data (65), keeping earlier batches', async () => {
  const file = await freshPath();
  const result = await runWith(file, people, (ctx) => ctx.write('people', [{ id: 'a' }, { id: 'b' }, { name: 'no id' }]));
  assert.deepEqual([result.exitCode, result.error?.code], [65, 'KEY_MISSING']);
  assert.deepEqual(rows(file, 'SELECT id FROM people ORDER BY id').map((r) => r.id), ['a', 'b'], 'the first batch of 2 was committed');
});

it('a failed guard takes back inserts, updates and replace deletes, blobs and reals included', async () => {
  const file = await freshPath();
  const tables: TablesSchema = { files: { columns: { src: 'text', k: 'text', n: 'real', b: 'blob', j: 'json' }, primaryKey: ['src', 'k'], mode: 'replace', scope: ['src'] } };
  const first = [{ k: '1', n: 1.5, b: new Uint8Array([0, 255]), j: { a: [1] } }, { k: '2', n: 2, b: null, j: null }, { k: '3', n: -0.25, b: new Uint8Array([7]), j: 'x' }];
  const job = (rows: Row[]) => defineJob({ name: 'undo', version: '1', description: 't', store: sqlite(), tables, config: {}, run: (ctx) => ctx.replace('files', { src: 'f' }, rows) });
  await runJob(job(first), {}, { store: SqliteStore.open(file) });
  const before = rows(file, 'SELECT * FROM files ORDER BY k');
  const second = await runJob(job([{ k: '1', n: 9, b: null, j: null }, { k: '4', n: 4, b: null, j: null }]), {}, { store: SqliteStore.open(file), minRecords: 1000 });
  assert.deepEqual([second.exitCode, second.error?.code], [65, 'TOO_FEW_RECORDS']);
  assert.deepEqual(rows(file, 'SELECT * FROM files ORDER BY k'), before);
  assert.deepEqual(rows(file, "SELECT name FROM sqlite_master WHERE name LIKE '%undo%'"), [], 'the journal lives in the connection, never in the file');
});

it('integer and boolean keys in any order: every new row counts as inserted, and a failed guard takes them all back', async () => {
  const file = await freshPath();
  const tables: TablesSchema = { t: { columns: { id: 'integer', v: 'text' }, primaryKey: ['id'] }, f: { columns: { on: 'boolean', v: 'text' }, primaryKey: ['on'] } };
  const job = (ids: number[]) => defineJob({
    name: 'ints', version: '1', description: 't', store: sqlite(), tables, config: {},
    async run(ctx) {
      await ctx.write('t', ids.map((id) => ({ id, v: `v${id}` })));
      await ctx.write('f', [{ on: true, v: 'yes' }, { on: false, v: 'no' }]);
    },
  });
  const first = await runJob(job([10, 5, 7]), {}, { store: SqliteStore.open(file), batchSize: 100 });
  assert.deepEqual([first.counts.inserted, first.counts.updated], [5, 0]);
  const failed = await runJob(job([3, 1, 10, 2]), {}, { store: SqliteStore.open(file), batchSize: 2, minRecords: 1000 });
  assert.equal(failed.exitCode, 65);
  assert.deepEqual(rows(file, 'SELECT id FROM t ORDER BY id').map((r) => r.id), [5, 7, 10], 'the rows the failed run inserted below the highest key are gone too');
});

it('counts stay exact when writes to two tables interleave in one batch', async () => {
  const file = await freshPath();
  const two: TablesSchema = { a: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] }, b: { columns: { id: 'text', v: 'text' }, primaryKey: ['id'] } };
  const first = await runWith(file, two, async (ctx) => {
    for (const id of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) await ctx.write('a', { id, v: 'x' });
    for (const id of ['1', '2']) await ctx.write('b', { id, v: 'x' });
  });
  assert.equal(first.counts.inserted, 11);
  const job = defineJob({ name: 'modes', version: '1', description: 't', store: sqlite(), tables: two, config: {}, async run(ctx) {
    await ctx.write('b', { id: '3', v: 'new' }); // an insert into b: rowid 3, below a's highest (9)
    await ctx.write('a', { id: '1', v: 'changed' }); // an update of a right after it
    await ctx.write('a', { id: '10', v: 'new' }); // an insert into a: last_insert_rowid 10…
    await ctx.write('b', { id: '1', v: 'changed' }); // …then an update of b, whose highest rowid is 3
    await ctx.write('a', { id: '2', v: 'x' }); // unchanged
  } });
  const second = await runJob(job, {}, { store: SqliteStore.open(file), batchSize: 100 });
  assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [2, 2, 1]);
});

it('a run that writes from memory and never checks for cancellation still stops at a batch boundary when aborted', async () => {
  const file = await freshPath();
  const controller = new AbortController();
  const job = defineJob({
    name: 'busy', version: '1', description: 'test', store: sqlite(), tables: people, config: {},
    async run(ctx) {
      setTimeout(() => controller.abort(new CancelledError('stop')), 30);
      for (let i = 0; i < 1_000_000; i++) await ctx.write('people', { id: `p${i}`, name: 'x', age: i, tags: null, active: true });
    },
  });
  const result = await runJob(job, {}, { store: SqliteStore.open(file), batchSize: 100, signal: controller.signal });
  assert.equal(result.status, 'cancelled');
  const [{ n }] = rows(file, 'SELECT count(*) AS n FROM people') as [{ n: number }];
  assert.ok(n > 0 && n < 1_000_000 && n % 100 === 0, `whole batches only, and not all of them: ${n}`);
});

it('many rows per statement count exactly as one row at a time: inserts, updates, unchanged and a key twice', async () => {
  const people = (from: number, to: number, age: (i: number) => number) => Array.from({ length: to - from }, (_, k) => ({ id: `p${String(from + k).padStart(4, '0')}`, name: 'n', age: age(from + k), tags: null, active: true }));
  const second = [
    ...people(0, 300, (i) => (i >= 100 && i < 150 ? i + 1 : i)), // 100 unchanged, 50 updated, 150 unchanged
    ...people(300, 430, (i) => i), // 130 new
    ...people(310, 312, (i) => -i), // two keys again in the same statement: updated
    ...people(5, 6, (i) => i), // one again, unchanged
  ];
  const results = [];
  for (const batchSize of [2, 1000]) {
    const file = await freshPath();
    const job = (rows: Row[]) => defineJob({ name: 'many', version: '1', description: 't', store: sqlite(), tables: { people: peopleSpec }, config: {}, run: (ctx) => ctx.write('people', rows) });
    await runJob(job(people(0, 300, (i) => i)), {}, { store: SqliteStore.open(file), batchSize });
    const { counts } = await runJob(job(second), {}, { store: SqliteStore.open(file), batchSize });
    results.push({ counts, table: rows(file, 'SELECT * FROM people ORDER BY id') });
  }
  assert.deepEqual(results[0]?.counts, { read: 0, inserted: 130, updated: 52, unchanged: 251, deleted: 0, rejected: 0 });
  assert.deepEqual(results[1], results[0]);
});

it('replace with hundreds of rows, many to a statement: exact counts, the rows gone deleted, a key twice', async () => {
  const file = await freshPath();
  const lines: TablesSchema = { lines: { columns: { source: 'text', key: 'text', v: 'text' }, primaryKey: ['source', 'key'], mode: 'replace', scope: ['source'] } };
  const keyed = (from: number, to: number, v: (i: number) => string) => Array.from({ length: to - from }, (_, k) => ({ key: String(from + k).padStart(4, '0'), v: v(from + k) }));
  await runWith(file, lines, (ctx) => ctx.replace('lines', { source: 'a' }, keyed(0, 600, String)));
  const again = [...keyed(100, 400, (i) => (i < 200 ? `${i}!` : String(i))), ...keyed(600, 700, String), ...keyed(650, 652, (i) => `${i}?`)];
  const second = await runWith(file, lines, (ctx) => ctx.replace('lines', { source: 'a' }, again));
  // 100 changed + 2 repeated keys changed again; 200 unchanged; 100 new; 0-99 and 400-599 gone.
  assert.deepEqual(second.counts, { read: 0, inserted: 100, updated: 102, unchanged: 200, deleted: 300, rejected: 0 });
  const table = rows(file, 'SELECT key, v FROM lines ORDER BY key');
  assert.equal(table.length, 400);
  assert.deepEqual([table[0], table.find((r) => r.key === '0650'), table.at(-1)], [{ key: '0100', v: '100!' }, { key: '0650', v: '650?' }, { key: '0699', v: '699' }]);
});
