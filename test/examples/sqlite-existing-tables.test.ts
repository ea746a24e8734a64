// Tables that another tool made before ferry came: an app's migrations (Django, Rails, Prisma),
// the sqlite3 shell, a DBA. ferry writes into them as they are; its counts must say what the
// table really holds, and a failed guard must take back exactly the run's own rows.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf } from '../helpers/protocol.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

/** A database holding `ddl`, made as the sqlite3 shell or an app would, and a CSV of `rows`. */
async function existing(ddl: string, csv: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-existing-'));
  const db = path.join(dir, 'app.db');
  const file = path.join(dir, 'people.csv');
  const setup = new DatabaseSync(db);
  setup.exec(ddl);
  setup.close();
  await writeFile(file, csv);
  return { db, file };
}

const importInto = (db: string, file: string, args: string[] = []) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--table', 'people', '--key', 'id', ...args], {
    timeoutMs: 60_000,
  });

const people = (ids: number[]) => `id,name\n${ids.map((i) => `${i},name ${i}`).join('\n')}\n`;
const countOf = (db: string) => tableRows(db, 'people', 'id').length;

describe('file-import into a SQLite table it did not make', () => {
  // `id INTEGER PRIMARY KEY` is SQLite's rowid itself: a new row's rowid is its key, not one past
  // the highest. ferry counted inserts by the rowid (read 3: inserted 10, updated -7) and took back
  // a failed run by rowid ranges, so rows below the highest key stayed: "nothing kept", 3000 kept.
  for (const ddl of [
    'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)',
    'CREATE TABLE people (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, name varchar(100) NOT NULL)', // Django
    'CREATE TABLE people (name TEXT, id INTEGER, PRIMARY KEY (id))',
  ]) {
    it(`a key that is the rowid (${ddl}): true counts, and a failed guard keeps nothing`, async () => {
      const { db, file } = await existing(
        `${ddl}; INSERT INTO people (id, name) VALUES (100000, 'kept')`,
        people([5, 3, 10]),
      );
      const first = resultOf(await importInto(db, file));
      assert.deepEqual(first.counts, { read: 3, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
      assert.equal(countOf(db), 4);
      await writeFile(file, `id,name\n5,renamed\n3,name 3\n200000,new\n7,new\n`);
      const second = resultOf(await importInto(db, file, ['--batch-size', '1']));
      assert.deepEqual(second.counts, { read: 4, inserted: 2, updated: 1, unchanged: 1, deleted: 0, rejected: 0 });
      assert.equal(countOf(db), 6);

      const before = tableRows(db, 'people', 'id');
      await writeFile(file, people(Array.from({ length: 3000 }, (_, i) => i + 1)));
      failsWith(
        await importInto(db, file, ['--batch-size', '100', '--min-records', '5000']),
        65,
        'TOO_FEW_RECORDS',
        /nothing of this run is kept/,
      );
      assert.deepEqual(tableRows(db, 'people', 'id'), before, 'the table as before the failed run');
    });
  }

  it('a key that is the rowid, in a dry run: the counts a real run gets, nothing kept', async () => {
    const { db, file } = await existing('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)', people([5, 3, 10]));
    const dry = resultOf(await importInto(db, file, ['--dry-run']));
    assert.deepEqual(dry.counts, { read: 3, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
    assert.equal(countOf(db), 0);
  });

  // No rowid at all: "no such column: rowid" was taken for a table dropped under the run, 75 for ever.
  it('a WITHOUT ROWID table: 65 naming the table and what to do, the table untouched', async () => {
    const { db, file } = await existing(
      "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT) WITHOUT ROWID; INSERT INTO people VALUES ('1', 'kept')",
      people([5, 3]),
    );
    failsWith(await importInto(db, file), 65, 'TABLE_UNSUPPORTED', /table people is WITHOUT ROWID.*--table/);
    assert.deepEqual(tableRows(db, 'people', 'id'), [{ id: '1', name: 'kept' }]);
  });

  // Said "has the primary key ()", for a view too.
  for (const [what, ddl] of [
    ['a view', 'CREATE TABLE base (id TEXT, name TEXT); CREATE VIEW people AS SELECT * FROM base'],
    ['a table without a key', 'CREATE TABLE people (id TEXT, name TEXT)'],
  ] as const)
    it(`${what} under the table's name: 65 saying it has no primary key and what to do`, async () => {
      const { db, file } = await existing(ddl, people([1]));
      failsWith(
        await importInto(db, file),
        65,
        'SCHEMA_MISMATCH',
        /table people has no primary key \(a view, or a table made without one\), but the job upserts by \(id\).* or import into a new table/,
      );
    });

  // ALTER TABLE … ADD COLUMN since DATE TEXT: "unknown datatype", exit 1 (UNEXPECTED), as a bug.
  it('a STRICT table that the file brings a date column to: 65 naming the column and the fix, which works', async () => {
    const { db, file } = await existing(
      'CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT) STRICT',
      'id,name,since\n1,ann,2024-02-29\n',
    );
    failsWith(
      await importInto(db, file),
      65,
      'TABLE_STRICT',
      /table people is STRICT, .* cannot add column since as DATE TEXT: add the column yourself .* --types since=text/,
    );
    assert.deepEqual(tableRows(db, 'people', 'id'), []);
    const fixed = resultOf(await importInto(db, file, ['--types', 'since=text']));
    assert.equal(fixed.exitCode, 0);
    assert.deepEqual(userColumns(tableRows(db, 'people', 'id')), [{ id: '1', name: 'ann', since: '2024-02-29' }]);
  });

  // Declared NUMERIC, INT(11), DECIMAL(10,2) (MySQL's and Django's names), they read back as text,
  // so 00501 passed as text and SQLite's affinity stored the number 501: exit 0, the zero gone.
  it("columns of another tool's numeric types: a value SQLite would turn into another number is a reject", async () => {
    const { db, file } = await existing(
      'CREATE TABLE people (id TEXT PRIMARY KEY, zip NUMERIC, code INT(11), price DECIMAL(10,2), at DATETIME)',
      'id,zip,code,price,at\n1,501,7,12.5,2024-01-01 10:00:00\n2,00501,7,1.5,2024-01-02 10:00:00\n3,502,007,1.5,2024-01-03 10:00:00\n',
    );
    failsWith(
      await importInto(db, file),
      65,
      'REJECTS_OVER_LIMIT',
      /column zip \(field 2\) is numeric: "00501" does not fit it, and is not converted/,
    );
    assert.deepEqual(tableRows(db, 'people', 'id'), []);
    const kept = resultOf(await importInto(db, file, ['--max-rejects', '2']));
    assert.deepEqual([kept.exitCode, kept.counts.inserted, kept.counts.rejected], [0, 1, 2]);
    assert.deepEqual(userColumns(tableRows(db, 'people', 'id')), [
      { id: '1', zip: 501, code: 7, price: 12.5, at: '2024-01-01 10:00:00' },
    ]);
  });

  // A failed guard put the old rows back with every column the copies held, the generated one too:
  // "cannot INSERT into generated column", exit 1, the run's rows kept.
  it('a table with a generated column: a failed guard takes the run back; a file bringing that column fails 65', async () => {
    const ddl =
      "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT, up TEXT GENERATED ALWAYS AS (upper(name))); INSERT INTO people (id, name) VALUES ('5', 'old')";
    const { db, file } = await existing(ddl, people([5, 3, 10]));
    const before = tableRows(db, 'people', 'id');
    failsWith(
      await importInto(db, file, ['--min-records', '10']),
      65,
      'TOO_FEW_RECORDS',
      /nothing of this run is kept/,
    );
    assert.deepEqual(userColumns(tableRows(db, 'people', 'id')), userColumns(before));
    await writeFile(file, 'id,name,up\n5,new,NEW\n');
    failsWith(
      await importInto(db, file),
      65,
      'COLUMN_GENERATED',
      /table people: column up is GENERATED ALWAYS .* leave it out of the file/,
    );
  });

  // Said only "CHECK constraint failed: length(name) < 5".
  it("a CHECK of the table's own that refuses a row: 65 saying what refused it and what to do", async () => {
    const { db, file } = await existing(
      'CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT CHECK (length(name) < 5))',
      'id,name\n1,ann\n2,bartholomew\n',
    );
    failsWith(
      await importInto(db, file),
      65,
      'SQLITE_CONSTRAINT',
      /CHECK constraint failed: length\(name\) < 5: a rule of the table .* refused a row of the batch, which was not written .* fix that row at the source, or change the rule/,
    );
    assert.deepEqual(tableRows(db, 'people', 'id'), []);
  });
});
