import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import type { Store, StoreFactory } from 'ferry';
import { postgres } from 'ferry/postgres';
import { selectStore, sqliteOrPostgres } from 'ferry/stores';
import { sqlite } from 'ferry/sqlite';
import { fixture, run } from '../helpers/spawn.ts';

it('sqliteOrPostgres: the options of both stores, --batch-size once; --db-url optional, --db-path says when it applies', () => {
  const { options } = sqliteOrPostgres();
  assert.deepEqual(Object.keys(options), [
    'dbUrl',
    'batchSize',
    'historyRetention',
    'fullRefresh',
    'dbPath',
    'busyTimeout',
  ]);
  assert.equal(options.dbUrl?.required, undefined);
  assert.equal(options.dbUrl?.env, 'DATABASE_URL');
  assert.equal(options.dbUrl?.example, undefined, '.env.example leaves it commented out, so copying it keeps SQLite');
  assert.match(options.dbUrl?.description ?? '', /, e\.g\. postgres:\/\/ferry:secret@db\.internal:5432\/imports/);
  assert.equal(postgres().options.dbUrl?.required, true, 'postgres() alone needs it');
  assert.equal(
    options.dbPath?.description,
    'the SQLite database file (created when missing); used when --db-url is not given',
  );
  assert.deepEqual(options.batchSize, sqlite().options.batchSize);
});

it('opens the first store whose selecting option is given, else the last', async () => {
  const opened: string[] = [];
  const fake = (kind: string, selectedBy?: string): StoreFactory => ({
    kind,
    options: selectedBy ? { [selectedBy]: { type: 'string', description: kind } } : {},
    ...(selectedBy ? { selectedBy } : {}),
    async open() {
      opened.push(kind);
      return undefined as unknown as Store;
    },
  });
  const store = selectStore(fake('a', 'aUrl'), fake('b', 'bUrl'), fake('fallback'));
  for (const config of [{ aUrl: 'x', bUrl: 'y' }, { bUrl: 'y' }, {}, { aUrl: '', bUrl: undefined }])
    await store.open(config, 'write');
  assert.deepEqual(opened, ['a', 'b', 'fallback', 'fallback']);
  assert.equal(store.kind, 'a or b or fallback');
});

it('refuses a store that could never be chosen, and an option two stores mean differently', () => {
  assert.throws(() => selectStore(sqlite(), sqlite()), /the sqlite store names no option of its own that selects it/);
  const clash: StoreFactory = {
    kind: 'other',
    selectedBy: 'dbUrl',
    options: { dbUrl: { type: 'string', description: 'not a URL' } },
    open: async () => undefined,
  };
  assert.throws(
    () => selectStore(clash, postgres()),
    /option dbUrl means different things to the other and postgres stores/,
  );
});

it('a run on SQLite never loads pg; one with --db-url does', async () => {
  // Prints each time a module named pg is resolved, from inside the job process.
  const hook = `data:text/javascript,${encodeURIComponent(`import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, next) { if (specifier === 'pg') process.stderr.write('resolved pg\\n'); return next(specifier, context); } });`)}`;
  const job = (args: string[]) =>
    run(process.execPath, [
      '--conditions=source',
      '--import',
      hook,
      fixture('jobs/counter-import.ts'),
      '--count',
      '10',
      ...args,
    ]);
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-select-'));
  const onSqlite = await job(['--db-path', path.join(dir, 'x.db')]);
  assert.equal(onSqlite.code, 0, onSqlite.stderr);
  assert.doesNotMatch(onSqlite.stderr, /resolved pg/);
  const onPostgres = await job(['--db-url', 'postgres://ferry@127.0.0.1:1/none']); // no server: loading pg is enough
  assert.match(onPostgres.stderr, /resolved pg/);
  assert.equal(onPostgres.code, 75);
});
