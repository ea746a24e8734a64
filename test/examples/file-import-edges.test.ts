// What a careless or unlucky user hands file-import: odd headers, empty exports, bad table
// names, a stray variable in the shell. Each case ends exact, or with its documented code.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith as failure, resultOf as result } from '../helpers/protocol.ts';
import { tableRows, userColumns, userTables as tables } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-edges-'));
  return {
    dir,
    db: path.join(dir, 'e.db'),
    file: async (name: string, text: string) => (await writeFile(path.join(dir, name), text), path.join(dir, name)),
  };
}
// Values as written, into text columns (--no-infer); typed columns: file-import-types.test.ts.
const importFile = (db: string, file: string, args: string[] = [], env: Record<string, string> = {}) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--no-infer', ...args], { env });

describe('file-import: a column named rowid (SQLite)', () => {
  it('a failed run takes back exactly its own writes, and counts are right', async () => {
    const w = await workspace();
    const first = await w.file('r.csv', 'rowid,v,w\n10,a,x\n20,b,y\n');
    const before = result(await importFile(w.db, first, ['--key', 'v']));
    assert.deepEqual([before.counts.inserted, before.counts.updated], [2, 0]);
    const snapshot = tableRows(w.db, 'r', 'v');
    // rowid values far above the table's real rowids, a changed row, a new row and a ragged one
    await w.file('r.csv', 'rowid,v,w\n1,a,changed\n999,c,z\n5,d\n');
    const failed = await importFile(w.db, first, ['--key', 'v']);
    failure(failed, 65, 'REJECTS_OVER_LIMIT', /more than --max-rejects 0/);
    assert.deepEqual(tableRows(w.db, 'r', 'v'), snapshot);
    const allowed = result(await importFile(w.db, first, ['--key', 'v', '--max-rejects', '1']));
    assert.deepEqual([allowed.counts.inserted, allowed.counts.updated, allowed.counts.rejected], [1, 1, 1]);
    assert.deepEqual(userColumns(tableRows(w.db, 'r', 'v')), [
      { rowid: '1', v: 'a', w: 'changed' },
      { rowid: '20', v: 'b', w: 'y' },
      { rowid: '999', v: 'c', w: 'z' },
    ]);
  });

  it('without a key too: a failed replace leaves the rows as they were', async () => {
    const w = await workspace();
    const file = await w.file('s.csv', 'rowid,_rowid_,v\n7,8,a\n9,10,b\n');
    assert.equal((await importFile(w.db, file)).code, 0);
    const snapshot = tableRows(w.db, 's', '_ferry_id');
    await w.file('s.csv', 'rowid,_rowid_,v\n1,1,a2\n9,10,b\n5,5,c\n2,2\n'); // an update, an unchanged row, a new one, a ragged one
    failure(await importFile(w.db, file), 65, 'REJECTS_OVER_LIMIT', /rejected/);
    assert.deepEqual(tableRows(w.db, 's', '_ferry_id'), snapshot);
  });

  it('rowid, _rowid_ and oid all taken: 65, nothing created', async () => {
    const w = await workspace();
    failure(
      await importFile(w.db, await w.file('o.csv', 'rowid,_rowid_,OID\n1,2,3\n')),
      65,
      'COLUMN_NAME_RESERVED',
      /no name left for its row ids/,
    );
    assert.deepEqual(tables(w.db), []);
  });
});

describe('file-import: headers SQLite cannot take as they are', () => {
  it('Name and name: 65 naming both, nothing created', async () => {
    const w = await workspace();
    failure(
      await importFile(w.db, await w.file('n.csv', 'id,Name,name\n1,a,b\n'), ['--key', 'id']),
      65,
      'COLUMN_NAMES_CLASH',
      /columns Name and name are one name to SQLite/,
    );
    assert.deepEqual(tables(w.db), []);
  });

  it("a header naming ferry's own columns (_ferry_id, _ferry_source) is refused, not overwritten", async () => {
    const w = await workspace();
    for (const header of ['_ferry_id', '_FERRY_SOURCE', '_ferry_x']) {
      failure(
        await importFile(w.db, await w.file('f.csv', `id,${header}\n1,mine\n`)),
        65,
        'COLUMN_NAME_RESERVED',
        new RegExp(`column named ${header}: names starting with _ferry_`),
      );
    }
    assert.deepEqual(tables(w.db), []);
  });

  it("1999 columns import (SQLite's 2000 with _ferry_id); 2000 fail with 65 naming the limit", async () => {
    const w = await workspace();
    const csv = (n: number) =>
      `${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: n }, (_, i) => `v${i}`).join(',')}\n`;
    const wide = result(await importFile(w.db, await w.file('wide.csv', csv(1999)), ['--key', 'c0']));
    assert.equal(wide.counts.inserted, 1);
    // a changed value in the last column is an update; a failed guard takes it back
    await w.file('wide.csv', csv(1999).replace(/v1998\n$/, 'changed\n'));
    assert.equal(result(await importFile(w.db, path.join(w.dir, 'wide.csv'), ['--key', 'c0'])).counts.updated, 1);
    assert.equal(result(await importFile(w.db, path.join(w.dir, 'wide.csv'), ['--key', 'c0'])).counts.unchanged, 1);
    failure(
      await importFile(w.db, await w.file('wider.csv', csv(2000)), ['--key', 'c0']),
      65,
      'TOO_MANY_COLUMNS',
      /2001 columns; SQLite allows at most 2000/,
    );
  });
});

describe('file-import: empty exports', () => {
  it('without --key, a 0-byte or header-only file fails (65) and deletes nothing; --allow-empty lets it', async () => {
    const w = await workspace();
    const file = await w.file('e.csv', 'n\n1\n2\n');
    assert.equal((await importFile(w.db, file)).code, 0);
    for (const empty of ['', 'n\n', '\n\n']) {
      await w.file('e.csv', empty);
      failure(
        await importFile(w.db, file),
        65,
        'EMPTY_FILE',
        /e\.csv has no records: without --key it would delete every row it brought last time/,
      );
      assert.equal(tableRows(w.db, 'e', 'n').length, 2);
    }
    await w.file('e.csv', 'n\n');
    const allowed = result(await importFile(w.db, file, ['--allow-empty']));
    assert.deepEqual([allowed.exitCode, allowed.counts.deleted], [0, 2]);
    assert.equal(tableRows(w.db, 'e', 'n').length, 0);
  });

  it('with --key, a header-only file imports nothing and exits 0, read 0; a wrong key is still a config error', async () => {
    const w = await workspace();
    const file = await w.file('h.csv', 'id,v\n');
    const done = result(await importFile(w.db, file, ['--key', 'id']));
    assert.deepEqual([done.exitCode, done.counts.read], [0, 0]);
    failure(
      await importFile(w.db, file, ['--key', 'nope']),
      64,
      'CONFIG_INVALID',
      /--key nope: no such column in .*h\.csv \(it has id, v\)/,
    );
    for (const [name, text] of [
      ['z.csv', ''],
      ['z.json', '[]'],
      ['z.ndjson', '\n'],
    ] as const) {
      const empty = result(await importFile(w.db, await w.file(name, text), ['--key', 'id']));
      assert.deepEqual([empty.exitCode, empty.counts.read], [0, 0], name);
    }
  });
});

describe('file-import: a --history-retention shorter than the run', () => {
  it("keeps the run's own rejects: their raw records are kept nowhere else", async () => {
    const w = await workspace();
    const file = await w.file('r.csv', 'id,v\n1,a\n2\n3,c\n');
    const done = result(
      await importFile(w.db, file, ['--key', 'id', '--max-rejects', '5', '--history-retention', '0s']),
    );
    assert.deepEqual([done.exitCode, done.counts.rejected], [0, 1]);
    const listed = await runExample('file-import', ['rejects', '--db-path', w.db]);
    assert.match(listed.stdout, /"raw":"2","reason":"row 2 has 1 fields, the header has 2"/);
  });
});

describe('file-import: --file a device', () => {
  // file-import reads a file twice (its columns and types, then its rows); a pipe is read through a
  // copy (file-import-pipes.test.ts), a device would be read as it is: /dev/zero for ever.
  it('/dev/zero: 64 at once, naming the device and what to do instead', async () => {
    const w = await workspace();
    const finished = await importFile(w.db, '/dev/zero', ['--format', 'csv', '--key', 'id']);
    failure(
      finished,
      64,
      'CONFIG_INVALID',
      /\/dev\/zero is a device, not a file: .*save the data to a file, or pipe it in/,
    );
    assert.deepEqual(tables(w.db), []);
  });
});

describe('file-import: --key naming a column twice', () => {
  it('is a config error (64) naming the column, not "the table has another primary key" on a new table', async () => {
    const w = await workspace();
    const file = await w.file('k.csv', 'id,v\n1,a\n');
    failure(await importFile(w.db, file, ['--key', 'id,v,id']), 64, 'CONFIG_INVALID', /--key id,v,id names id twice/);
    assert.deepEqual(tables(w.db), []);
  });
});

describe('file-import: table names', () => {
  const bad = ['x"; DROP TABLE y; --', '_ferry_runs', 'sqlite_master', 'SQLITE_x', '', '1abc', 'a b', 'tëst'];
  for (const table of bad) {
    it(`--table ${JSON.stringify(table)}: 64 naming the rule, nothing written`, async () => {
      const w = await workspace();
      failure(
        await importFile(w.db, await w.file('t.csv', 'id\n1\n'), ['--table', table]),
        64,
        'CONFIG_INVALID',
        /--table .*: use letters, digits and _/,
      );
      assert.deepEqual(tables(w.db), []);
    });
  }

  it("a file named like ferry's or SQLite's tables gets a table name of its own", async () => {
    const w = await workspace();
    for (const name of ['_ferry_runs.csv', 'sqlite_master.csv'])
      assert.equal((await importFile(w.db, await w.file(name, 'id\n1\n'))).code, 0);
    assert.deepEqual(tables(w.db).sort(), ['t__ferry_runs', 't_sqlite_master']);
  });
});

describe('file-import: its environment variables cannot collide', () => {
  it('a stray FILE, KEY, TABLE or FORMAT in the shell changes nothing; FILE_IMPORT_* does', async () => {
    const w = await workspace();
    const file = await w.file('people.csv', 'id,name\n1,a\n');
    const stray = { KEY: 'name', TABLE: 'wrong', FORMAT: 'json', DELIMITER: ';', FILE: '/nonexistent' };
    assert.equal((await importFile(w.db, file, ['--key', 'id'], stray)).code, 0);
    assert.deepEqual(tables(w.db), ['people']);
    const named = await runExample('file-import', ['--db-path', w.db], {
      env: { FILE_IMPORT_FILE: file, FILE_IMPORT_TABLE: 'chosen', FILE_IMPORT_KEY: 'id' },
    });
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(tables(w.db).sort(), ['chosen', 'people']);
  });
});

describe('file-import: fields named like the properties every JavaScript object has', () => {
  // A plain object answers record.constructor and record.toString though the record has no such
  // field, and assigning row.__proto__ sets a prototype instead of a value.
  const names = 'id,__proto__,constructor,toString,hasOwnProperty';
  const typed = (db: string, file: string, args: string[] = []) =>
    runExample('file-import', ['--db-path', db, '--file', file, '--key', 'id', ...args]);

  it('a CSV header with __proto__, constructor, toString: each is a column with its values, typed; a rerun changes nothing', async () => {
    const w = await workspace();
    const file = await w.file('p.csv', `${names}\n1,a,1,2024-01-02,true\n2,b,2,2024-01-03,false\n`);
    const first = result(await typed(w.db, file));
    assert.deepEqual([first.exitCode, first.counts.inserted], [0, 2]);
    assert.deepEqual(userColumns(tableRows(w.db, 'p', 'id')), [
      { id: 1, ['__proto__']: 'a', constructor: 1, toString: '2024-01-02', hasOwnProperty: 1 },
      { id: 2, ['__proto__']: 'b', constructor: 2, toString: '2024-01-03', hasOwnProperty: 0 },
    ]);
    const again = result(await typed(w.db, file));
    assert.deepEqual([again.counts.unchanged, again.counts.updated, again.counts.inserted], [2, 0, 0]);
  });

  it('NDJSON: a record without such a field stores NULL there, not a function; one with it keeps its value', async () => {
    const w = await workspace();
    const lines = [
      '{"id":1,"__proto__":{"admin":true},"constructor":"c","toString":"t"}',
      '{"id":2,"x":"only x"}',
      '{"id":3,"__proto__":"p"}',
    ];
    const file = await w.file('q.ndjson', `${lines.join('\n')}\n`);
    for (const args of [[], ['--no-infer']]) {
      const db = path.join(w.dir, `q${args.length}.db`);
      const first = result(await typed(db, file, args));
      assert.deepEqual([first.exitCode, first.counts.inserted], [0, 3], JSON.stringify(first));
      assert.deepEqual(
        userColumns(tableRows(db, 'q', 'id')),
        [
          { id: 1, ['__proto__']: '{"admin":true}', constructor: 'c', toString: 't', x: null },
          { id: 2, ['__proto__']: null, constructor: null, toString: null, x: 'only x' },
          { id: 3, ['__proto__']: 'p', constructor: null, toString: null, x: null },
        ].map((row) => (args.length > 0 ? { ...row, id: String(row.id) } : row)),
      );
      const again = result(await typed(db, file, args));
      assert.deepEqual([again.counts.unchanged, again.counts.updated, again.counts.inserted], [3, 0, 0]);
    }
  });
});

describe('file-import: JSON records that are not objects', () => {
  // A table row needs named fields: null, a number, a string, an array or a boolean has none, and
  // stored as it is it became a row of NULLs (or, for null, a crash).
  const lines = ['{"id":1,"v":"a"}', 'null', '42', '"text"', '[1,2]', 'true', '{"id":2,"v":"b"}'];
  const formats = [
    ['o.ndjson', `${lines.join('\n')}\n`],
    ['o.json', `[${lines.join(',')}]`],
  ] as const;

  for (const [name, text] of formats) {
    for (const key of [['--key', 'id'], []]) {
      it(`${name}${key.length > 0 ? ' with --key' : ''}: each is a reject naming it; over --max-rejects, 65 and no row`, async () => {
        const w = await workspace();
        const file = await w.file(name, text);
        const typed = (args: string[]) =>
          runExample('file-import', ['--db-path', w.db, '--file', file, ...key, ...args]);
        failure(await typed([]), 65, 'REJECTS_OVER_LIMIT', /row 2.*: the record is null, not a JSON object/);
        const allowed = result(await typed(['--max-rejects', '5']));
        assert.deepEqual([allowed.exitCode, allowed.counts.inserted, allowed.counts.rejected], [0, 2, 5]);
        assert.deepEqual(userColumns(tableRows(w.db, 'o', 'id')), [
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
        ]);
        const listed = await runExample('file-import', ['rejects', '--db-path', w.db]);
        const rejects = listed.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { position: { row: number }; reason: string; raw: unknown })
          .sort((a, b) => a.position.row - b.position.row);
        assert.deepEqual(
          rejects.map((r) => [r.position.row, r.raw, r.reason.replace(/, not a JSON object.*/, '')]),
          [
            [2, null, 'the record is null'],
            [3, 42, 'the record is 42'],
            [4, 'text', 'the record is "text"'],
            [5, [1, 2], 'the record is an array'],
            [6, true, 'the record is true'],
          ],
        );
      });
    }
  }
});

describe('file-import: CSV from Excel where the comma is the decimal mark', () => {
  it('semicolons, with or without a sep=; line, land in their columns (they were one column, exit 0)', async () => {
    const w = await workspace();
    const plain = await w.file('plain.csv', 'id;name;amount\n1;Müller;3,50\n2;Ødegård;4\n');
    const hinted = await w.file('hinted.csv', 'sep=;\r\nid;name\r\n1;x\r\n2;y;z\r\n');
    const expected = [
      { id: '1', name: 'Müller', amount: '3,50' },
      { id: '2', name: 'Ødegård', amount: '4' },
    ];
    assert.equal(result(await importFile(w.db, plain, ['--key', 'id'])).counts.inserted, 2);
    assert.deepEqual(userColumns(tableRows(w.db, 'plain', 'id')), expected);
    // the sep line is line 1: the ragged row is row 2 on line 4
    failure(
      await importFile(w.db, hinted),
      65,
      'REJECTS_OVER_LIMIT',
      /row 2, line 4: row 2 has 3 fields, the header has 2/,
    );
    assert.equal(result(await importFile(w.db, hinted, ['--max-rejects', '1'])).counts.inserted, 1);
    assert.deepEqual(userColumns(tableRows(w.db, 'hinted', 'id')), [{ id: '1', name: 'x' }]);
  });
});

describe('file-import: a JSON export that wraps its records in an object', () => {
  it('--json-path data imports them; without it 65 names the option; on a CSV it is a usage error', async () => {
    const w = await workspace();
    const file = await w.file('wrapped.json', '{"meta":{"n":2},"data":[{"id":1,"v":"a"},{"id":2,"v":"b"}]}');
    failure(await importFile(w.db, file), 65, 'JSON_NOT_ARRAY', /as jsonPath \(file-import: --json-path\)/);
    assert.equal(result(await importFile(w.db, file, ['--json-path', 'data', '--key', 'id'])).counts.inserted, 2);
    assert.deepEqual(userColumns(tableRows(w.db, 'wrapped', 'id')), [
      { id: '1', v: 'a' },
      { id: '2', v: 'b' },
    ]);
    const csv = await w.file('plain.csv', 'id\n1\n');
    failure(await importFile(w.db, csv, ['--json-path', 'data']), 64, 'CONFIG_INVALID', /applies to JSON files only/);
  });
});
