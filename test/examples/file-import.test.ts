import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { resultOf } from '../helpers/protocol.ts';
import { runExample } from '../helpers/example-job.ts';
import { id } from '../../src/id.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-file-'));
  return {
    dir,
    db: path.join(dir, 'f.db'),
    file: (name: string, content: string | Uint8Array) =>
      writeFile(path.join(dir, name), content).then(() => path.join(dir, name)),
  };
}
// These tests read files exactly as written, into text columns (--no-infer); typed columns: file-import-types.test.ts.
const importFile = (db: string, file: string, args: string[] = []) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--no-infer', ...args]);
const result = resultOf;

describe('file-import: CSV as it really comes', () => {
  it('quotes, escaped quotes, embedded LF and CRLF, UTF-8, a BOM and empty fields land exactly as written', async () => {
    const w = await workspace();
    const csv =
      '\uFEFFid,name,note,city\r\n1,"Zoë ""Z"" Ng","line one\nline two",東京\r\n2,Bob,,\r\n3,"a, b","crlf\r\ninside",🙂\r\n';
    const file = await w.file('people.csv', csv);
    const finished = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'people', 'id')), [
      { id: '1', name: 'Zoë "Z" Ng', note: 'line one\nline two', city: '東京' },
      { id: '2', name: 'Bob', note: '', city: '' },
      { id: '3', name: 'a, b', note: 'crlf\r\ninside', city: '🙂' },
    ]);
  });

  it('a ragged row is rejected with its row and line number; over --max-rejects the run keeps nothing', async () => {
    const w = await workspace();
    const file = await w.file('orders.csv', 'id,total\n1,10\n2,20,extra\n3,30\n');
    const failed = await importFile(w.db, file);
    assert.equal(failed.code, 65);
    assert.match(
      result(failed).error?.message ?? '',
      /orders\.csv, row 2, line 3: row 2 has 3 fields, the header has 2/,
    );
    const allowed = await importFile(w.db, file, ['--max-rejects', '1']);
    assert.equal(allowed.code, 0);
    assert.deepEqual(userColumns(tableRows(w.db, 'orders', 'id')), [
      { id: '1', total: '10' },
      { id: '3', total: '30' },
    ]);
    const listed = await runExample('file-import', ['rejects', '--db-path', w.db]);
    assert.match(listed.stdout, /"row":2,"line":3/);
  });

  it('with --key: a changed file upserts by the natural key', async () => {
    const w = await workspace();
    const file = await w.file('stock.csv', 'sku,qty\nA,1\nB,2\n');
    assert.equal(result(await importFile(w.db, file, ['--key', 'sku'])).counts.inserted, 2);
    await w.file('stock.csv', 'sku,qty\nB,5\nA,1\nC,9\n');
    const second = result(await importFile(w.db, file, ['--key', 'sku']));
    assert.deepEqual([second.counts.inserted, second.counts.updated, second.counts.unchanged], [1, 1, 1]);
    assert.deepEqual(userColumns(tableRows(w.db, 'stock', 'sku')), [
      { sku: 'A', qty: '1' },
      { sku: 'B', qty: '5' },
      { sku: 'C', qty: '9' },
    ]);
  });

  it("without --key: the file replaces the rows it brought last time, and leaves other files' rows alone", async () => {
    const w = await workspace();
    const a = await w.file('a.csv', 'n\n1\n2\n3\n');
    const b = await w.file('b.csv', 'n\nx\n');
    await importFile(w.db, a, ['--table', 'nums']);
    await importFile(w.db, b, ['--table', 'nums']);
    await w.file('a.csv', 'n\n1\n');
    const again = result(await importFile(w.db, a, ['--table', 'nums']));
    assert.deepEqual([again.counts.unchanged, again.counts.deleted], [1, 2]);
    assert.deepEqual(
      tableRows(w.db, 'nums', 'n').map((r) => r.n),
      ['1', 'x'],
    );
    const rerun = result(await importFile(w.db, a, ['--table', 'nums']));
    assert.deepEqual([rerun.counts.inserted, rerun.counts.updated, rerun.counts.deleted], [0, 0, 0]);
  });

  it("without --key: a row's _ferry_id is the file's id and its row number, so the ids sort in file order", async () => {
    const w = await workspace();
    const a = await w.file('a.csv', 'n\nz\ny\nx\n');
    await importFile(w.db, a, ['--table', 'letters']);
    const rows = tableRows(w.db, 'letters', '_ferry_id');
    assert.deepEqual(
      rows.map((r) => [r._ferry_id, r.n]),
      [1, 2, 3].map((row, i) => [`${id(a)}:${String(row).padStart(12, '0')}`, ['z', 'y', 'x'][i]]),
    );
  });

  it('--min-records: a file that lost most of its rows fails and changes nothing', async () => {
    const w = await workspace();
    const file = await w.file('big.csv', `id\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`);
    await importFile(w.db, file);
    await w.file('big.csv', 'id\n1\n');
    const failed = await importFile(w.db, file, ['--min-records', '10']);
    assert.equal(failed.code, 65);
    assert.equal(tableRows(w.db, 'big', 'id').length, 50);
  });
});

describe('file-import: NDJSON, JSON and gzip', () => {
  it('reads each format into the same table', async () => {
    const w = await workspace();
    const rows = [
      { id: 1, name: 'a', tags: ['x'] },
      { id: 2, name: 'b', extra: true },
    ];
    const files = [
      await w.file('r.ndjson', rows.map((r) => JSON.stringify(r)).join('\n')),
      await w.file('r.json', JSON.stringify(rows)),
      await w.file('r.json.gz', gzipSync(JSON.stringify(rows))),
      await w.file('r.csv.gz', gzipSync('id,name,tags,extra\n1,a,"[""x""]",\n2,b,,true\n')),
    ];
    for (const [i, file] of files.entries()) {
      const finished = await importFile(w.db, file, ['--table', `t${i}`, '--key', 'id']);
      assert.equal(finished.code, 0, finished.stderr);
    }
    for (const i of [0, 1, 2]) {
      assert.deepEqual(userColumns(tableRows(w.db, `t${i}`, 'id')), [
        { id: '1', name: 'a', tags: '["x"]', extra: null },
        { id: '2', name: 'b', tags: null, extra: 'true' },
      ]);
    }
    assert.deepEqual(userColumns(tableRows(w.db, 't3', 'id')), [
      { id: '1', name: 'a', tags: '["x"]', extra: '' },
      { id: '2', name: 'b', tags: '', extra: 'true' },
    ]);
  });

  it('an unknown extension without --format is a config error (64)', async () => {
    const w = await workspace();
    const finished = await importFile(w.db, await w.file('data.txt', 'a\n'));
    assert.equal(finished.code, 64);
    assert.match(finished.stderr, /--format/);
  });
});
