// Files as real tools write them, beyond the clean case: what a spreadsheet saves as CSV, exports
// joined into one file, database dumps. Each ends exact, or with its documented code and a
// message that says what to do.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, parseEventLines } from '../helpers/protocol.ts';
import { postgresUnavailable, suiteSchemas } from '../stores/postgres/test-database.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-exports-'));
  return {
    db: path.join(dir, 'x.db'),
    file: async (name: string, content: string) => (
      await writeFile(path.join(dir, name), content),
      path.join(dir, name)
    ),
  };
}
const importFile = (db: string, file: string, args: string[] = []) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--log-format', 'json', ...args]);
const rejectLogs = (stdout: string) =>
  parseEventLines(stdout).flatMap((e) => (e.type === 'log' && e.msg.startsWith('rejected') ? [e.msg] : []));

describe('file-import: exports joined into one file', () => {
  it('a header line repeated mid-file is a reject naming it, not a row, and does not make the columns text', async () => {
    const w = await workspace();
    // `cat jan.csv feb.csv > q1.csv`: the second file's header lands among the rows.
    const file = await w.file(
      'q1.csv',
      'id,day,total\n1,2024-01-05,9.5\n2,2024-01-09,3\nid,day,total\n3,2024-02-01,7\n',
    );
    const failed = await importFile(w.db, file);
    failsWith(failed, 65, 'REJECTS_OVER_LIMIT', /row 3, line 4: row 3 repeats the header line/);
    const finished = await importFile(w.db, file, ['--max-rejects', '1']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(rejectLogs(finished.stdout), [
      `rejected ${file}, row 3, line 4: row 3 repeats the header line (files joined together?): it holds no record`,
    ]);
    assert.deepEqual(userColumns(tableRows(w.db, 'q1', 'id')), [
      { id: 1, day: '2024-01-05', total: 9.5 },
      { id: 2, day: '2024-01-09', total: 3 },
      { id: 3, day: '2024-02-01', total: 7 },
    ]);
  });

  it('the repeated header of a file Excel saved as CSV UTF-8 starts with its byte-order mark: a reject too', async () => {
    const w = await workspace();
    const bom = '\uFEFF';
    const file = await w.file('joined.csv', `${bom}id,total\r\n1,9.5\r\n${bom}id,total\r\n2,7\r\n`);
    const finished = await importFile(w.db, file, ['--max-rejects', '1']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(rejectLogs(finished.stdout), [
      `rejected ${file}, row 2, line 3: row 2 repeats the header line (files joined together?): it holds no record`,
    ]);
    assert.deepEqual(userColumns(tableRows(w.db, 'joined', 'id')), [
      { id: 1, total: 9.5 },
      { id: 2, total: 7 },
    ]);
  });
});

describe('file-import: NDJSON files joined into one', () => {
  it("each file's byte-order mark (PowerShell's UTF8 writes one) is no part of its first line's record", async () => {
    const w = await workspace();
    const bom = '\uFEFF';
    const file = await w.file('events.ndjson', `${bom}{"id":1,"v":"a"}\n{"id":2,"v":"b"}\n${bom}{"id":3,"v":"c"}\n`);
    const finished = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'events', 'id')), [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
  });
});

describe('file-import: database dumps', () => {
  it("a dump without a header line (psql's \\copy text format) is 65 when its first row holds a \\N, not a row lost", async () => {
    const w = await workspace();
    const file = await w.file('orders.tsv', '1\tAlice\t\\N\n2\tBob\t2024-01-01\n');
    failsWith(
      await importFile(w.db, file),
      65,
      'CSV_HEADER_INVALID',
      /column 3 of the header is \\N, the NULL of PostgreSQL's and MySQL's dumps: the file has no header line/,
    );
  });
});

// A CSV field with byte 00 in it (a C string dumped whole, a binary column as text), JSON's "\u0000".
const NUL_FILES: [string, string][] = [
  ['dump.csv', 'id,name\n1,ok\n2,a\0b\n'],
  ['dump.ndjson', '{"id":1,"name":"ok"}\n{"id":2,"name":"a\\u0000b"}\n'],
];
const NUL_REASON = /row 2, line 3: column name \(field 2\): "a\\u0000b" holds a NUL character \(byte 00\)/;
const nulReason = (name: string) => (name.endsWith('.csv') ? NUL_REASON : /holds a NUL character/);

describe('file-import: NUL characters in dumped text, into SQLite', () => {
  it('a reject naming the field, not "a" as every SQLite tool shows it', async () => {
    for (const [name, content] of NUL_FILES) {
      const w = await workspace();
      const file = await w.file(name, content);
      failsWith(await importFile(w.db, file, ['--key', 'id']), 65, 'REJECTS_OVER_LIMIT', nulReason(name));
      const finished = await importFile(w.db, file, ['--key', 'id', '--max-rejects', '1']);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(userColumns(tableRows(w.db, 'dump', 'id')), [{ id: 1, name: 'ok' }]);
    }
  });
});

describe('file-import: NUL characters in dumped text, into PostgreSQL', { skip: await postgresUnavailable() }, () => {
  const schemas = suiteSchemas();
  it('a reject naming the field, not a failed batch (65 PG_DATA) that names no row', async () => {
    for (const [name, content] of NUL_FILES) {
      const w = await workspace();
      const schema = await schemas();
      const file = await w.file(name, content);
      const args = ['--db-url', schema.url, '--file', file, '--key', 'id', '--log-format', 'json'];
      failsWith(await runExample('file-import', args), 65, 'REJECTS_OVER_LIMIT', nulReason(name));
      const finished = await runExample('file-import', [...args, '--max-rejects', '1']);
      assert.equal(finished.code, 0, finished.stderr);
      const rows = await schema.query<{ id: string; name: string }>('SELECT id, name FROM dump ORDER BY id');
      assert.deepEqual(
        rows.map((r) => [String(r.id), r.name]),
        [['1', 'ok']],
      );
    }
  });
});

describe('file-import: JSON exports that are one object', () => {
  it('records under a member ({"meta": …, "data": [...]}): 65 names the member to pass as --json-path', async () => {
    const w = await workspace();
    const file = await w.file('api.json', '{"meta":{"page":1,"of":1},"count":2,"data":[{"id":1},{"id":2}]}');
    failsWith(await importFile(w.db, file), 65, 'JSON_NOT_ARRAY', /; its member "data" is an array: --json-path data;/);
    const finished = await importFile(w.db, file, ['--json-path', 'data']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'api', 'id')), [{ id: 1 }, { id: 2 }]);
  });

  // Neither holds an array of records: a --json-path could not help, the message says what would.
  const objects: [what: string, name: string, json: string, message: RegExp][] = [
    [
      "pandas' default DataFrame.to_json (columns keyed by row numbers)",
      'frame.json',
      '{"id":{"0":1,"1":2},"name":{"0":"Zoë","1":"Ana"}}',
      /its members are objects keyed by row numbers: columns, as pandas' DataFrame\.to_json writes them by default \(orient='columns'\): write the file with orient='records'/,
    ],
    [
      'records keyed by their ids (a Firebase export)',
      'users.json',
      '{"-NaB1":{"name":"Zoë","age":31},"-NaB2":{"name":"Ana","age":27}}',
      /its members are objects, as records keyed by their ids are \(a Firebase export\): make it an array of records first, the id kept as a field, e\.g\. jq '\[to_entries\[\] \| \{id: \.key\} \+ \.value\]' FILE > records\.json/,
    ],
  ];
  for (const [what, name, json, message] of objects) {
    it(`${what}: 65 says how to make it records, not a --json-path that cannot work`, async () => {
      const w = await workspace();
      failsWith(await importFile(w.db, await w.file(name, json)), 65, 'JSON_NOT_ARRAY', message);
    });
  }
});

describe("file-import: a sheet's empty formatted rows, saved as CSV (,,,)", () => {
  // Excel and LibreOffice write a row that has formatting but no value as delimiters alone.
  const saved = 'id,name,amount\r\n1,Ann,9.5\r\n2,Bob,3\r\n,,\r\n,,\r\n';
  const warnings = (stdout: string) =>
    parseEventLines(stdout).flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.msg] : []));

  it('keyed: the rows with values import, the empty ones are left out with a warning (was 65: key empty)', async () => {
    const w = await workspace();
    const file = await w.file('sheet.csv', saved);
    const finished = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(finished.code, 0, finished.stdout);
    assert.deepEqual(userColumns(tableRows(w.db, 'sheet', 'id')), [
      { id: 1, name: 'Ann', amount: 9.5 },
      { id: 2, name: 'Bob', amount: 3 },
    ]);
    assert.deepEqual(warnings(finished.stdout), [
      `${file}: 2 row(s) with no value in any column left out, as empty rows of a sheet are (a spreadsheet writes its empty formatted rows as ,,,)`,
    ]);
  });

  it('without a key: no row of empty values lands beside the real ones', async () => {
    const w = await workspace();
    const file = await w.file('sheet.csv', saved);
    const finished = await importFile(w.db, file);
    assert.equal(finished.code, 0, finished.stdout);
    assert.deepEqual(userColumns(tableRows(w.db, 'sheet', 'id')), [
      { id: 1, name: 'Ann', amount: 9.5 },
      { id: 2, name: 'Bob', amount: 3 },
    ]);
  });

  it('a file of nothing but empty rows is an empty file: without --allow-empty, 65 and the rows it brought stay', async () => {
    const w = await workspace();
    const file = await w.file('sheet.csv', saved);
    assert.equal((await importFile(w.db, file)).code, 0);
    await writeFile(file, 'id,name,amount\r\n,,\r\n,,\r\n,,\r\n');
    failsWith(await importFile(w.db, file), 65, 'EMPTY_FILE', /has no records/);
    assert.equal(tableRows(w.db, 'sheet', 'id').length, 2);
  });
});
