import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { resultOf } from '../helpers/protocol.ts';
import { runExample } from '../helpers/example-job.ts';
import type { Finished } from '../helpers/spawn.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-encoding-'));
  return {
    dir,
    db: path.join(dir, 'f.db'),
    file: (name: string, content: string | Uint8Array) =>
      writeFile(path.join(dir, name), content).then(() => path.join(dir, name)),
  };
}
// Text as decoded, into text columns (--no-infer); typed columns: file-import-types.test.ts.
const importFile = (db: string, file: string, args: string[] = [], env: Record<string, string> = {}) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--no-infer', ...args], { env });
const result = resultOf;

/** How an older Windows program saves text: one byte per character; only what these tests use. */
function windows1252(text: string): Buffer {
  const high: Record<string, number> = { '€': 0x80, '“': 0x93, '”': 0x94 };
  return Buffer.from([...text].map((c) => high[c] ?? c.charCodeAt(0)));
}
const utf16le = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le');

/** Exit 65 with FILE_NOT_UTF8 naming the line, on stdout's result and on stderr. */
function assertNotUtf8(finished: Finished, line: number) {
  assert.equal(finished.code, 65, finished.stderr);
  const error = result(finished).error;
  assert.equal(error?.code, 'FILE_NOT_UTF8');
  assert.match(
    error?.message ?? '',
    new RegExp(
      `, line ${line}: not UTF-8 at byte offset \\d+.*: bytes? e9\\b.*pass --encoding windows-1252 \\(or latin1\\); by Excel for Mac as CSV \\(Macintosh\\), pass --encoding macintosh$`,
    ),
  );
  assert.match(finished.stderr, /not UTF-8/);
}

describe('file-import: text encodings', () => {
  it('a Latin-1 CSV without --encoding exits 65 naming the line, and stores nothing', async () => {
    const w = await workspace();
    const file = await w.file('cafes.csv', windows1252('id,name\n1,Plain\n2,Café\n3,Other\n'));
    const failed = await importFile(w.db, file);
    assertNotUtf8(failed, 3);
    assert.equal(
      result(failed).error?.message,
      `${file}, line 3: not UTF-8 at byte offset 21: byte e9 after "2,Caf"; if the file was saved by an older Windows program, pass --encoding windows-1252 (or latin1); by Excel for Mac as CSV (Macintosh), pass --encoding macintosh`,
    );
    assert.throws(
      () => tableRows(w.db, 'cafes', 'id'),
      /no such table/,
      'the first read fails before the table is made',
    );
  });

  it('--encoding latin1 or windows-1252 (or FILE_IMPORT_ENCODING) stores é, €, “ ”, ß exactly', async () => {
    const w = await workspace();
    const file = await w.file('prices.csv', windows1252('id,name,price\r\n1,Café “Noël”,5 €\r\n2,Straße,ß\r\n'));
    const expected = [
      { id: '1', name: 'Café “Noël”', price: '5 €' },
      { id: '2', name: 'Straße', price: 'ß' },
    ];
    const ways: [args: string[], env: Record<string, string>][] = [
      [['--encoding', 'latin1'], {}],
      [['--encoding', 'windows-1252'], {}],
      [[], { FILE_IMPORT_ENCODING: 'windows-1252' }],
    ];
    for (const [args, env] of ways) {
      const db = path.join(w.dir, `${args.join('') || 'env'}.db`);
      const finished = await importFile(db, file, ['--key', 'id', ...args], env);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(
        userColumns(tableRows(db, 'prices', 'id')),
        expected,
        `${args.join(' ')} ${JSON.stringify(env)}`,
      );
    }
  });

  it("Excel for Mac's CSV (Macintosh): 65 names --encoding macintosh, which stores é, ü, €, “ ” exactly", async () => {
    const w = await workspace();
    // Mac OS Roman, one line ending: a lone CR, as Excel for Mac writes this format.
    const macRoman: Record<string, number> = { é: 0x8e, ü: 0x9f, '€': 0xdb, '“': 0xd2, '”': 0xd3 };
    const text = 'id,name,price\r1,Café “Müller”,5 €\r2,plain,1\r';
    const file = await w.file('mac.csv', Buffer.from([...text].map((c) => macRoman[c] ?? c.charCodeAt(0))));
    const failed = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(failed.code, 65, failed.stderr);
    assert.equal(result(failed).error?.code, 'FILE_NOT_UTF8');
    assert.match(
      result(failed).error?.message ?? '',
      /, line 2: not UTF-8 at byte offset 19: bytes 8e 20 d2 4d after "1,Caf"; .*by Excel for Mac as CSV \(Macintosh\), pass --encoding macintosh$/,
    );
    const finished = await importFile(w.db, file, ['--key', 'id', '--encoding', 'macintosh']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'mac', 'id')), [
      { id: '1', name: 'Café “Müller”', price: '5 €' },
      { id: '2', name: 'plain', price: '1' },
    ]);
  });

  it('UTF-16LE and UTF-16BE files with a byte-order mark import without --encoding; a reject names its line', async () => {
    const w = await workspace();
    const csv = 'id,city\r\n1,東京 🙂\r\n2,"São\r\nPaulo"\r\n3,x,ragged\r\n4,€\r\n';
    const expected = [
      { id: '1', city: '東京 🙂' },
      { id: '2', city: 'São\r\nPaulo' },
      { id: '4', city: '€' },
    ];
    for (const [name, bytes] of [
      ['le', utf16le(csv)],
      ['be', utf16le(csv).swap16()],
    ] as const) {
      const db = path.join(w.dir, `${name}.db`);
      const finished = await importFile(db, await w.file(`cities-${name}.csv`, bytes), [
        '--key',
        'id',
        '--max-rejects',
        '1',
        '--table',
        'cities',
      ]);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(userColumns(tableRows(db, 'cities', 'id')), expected, name);
      const rejects = await runExample('file-import', ['rejects', '--db-path', db]);
      assert.match(rejects.stdout, /"row":3,"line":5/, name);
    }
  });

  it('NDJSON and JSON-array files with a bad byte exit 65 naming the line', async () => {
    const w = await workspace();
    const ndjson = await w.file('events.ndjson', windows1252('{"id":1,"name":"ok"}\n{"id":2,"name":"Café"}\n'));
    assertNotUtf8(await importFile(w.db, ndjson), 2);
    const json = await w.file(
      'list.json',
      windows1252('[\n  {"id": 1, "name": "ok"},\n  {"id": 2, "name": "Café"}\n]\n'),
    );
    assertNotUtf8(await importFile(w.db, json), 3);
  });

  it('a bad byte in a gzipped file exits 65, counted in the unzipped text', async () => {
    const w = await workspace();
    const file = await w.file('cafes.csv.gz', gzipSync(windows1252('id,name\n1,Café\n')));
    const failed = await importFile(w.db, file);
    assertNotUtf8(failed, 2);
    assert.match(result(failed).error?.message ?? '', /at byte offset 13 of the unzipped text/);
  });

  it('a multi-byte character split across the 64 KiB read boundary is no error', async () => {
    const w = await workspace();
    const header = 'id,text\n1,';
    const filler = 'x'.repeat(64 * 1024 - header.length - 1); // the next character starts on the last byte of the first read
    const rows = `${header}${filler}é\n2,€🙂\n`;
    const file = await w.file('long.csv', rows);
    const finished = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'long', 'id')), [
      { id: '1', text: `${filler}é` },
      { id: '2', text: '€🙂' },
    ]);
  });

  it('an unknown --encoding exits 64; --help lists the encodings and FILE_IMPORT_ENCODING', async () => {
    const w = await workspace();
    const file = await w.file('a.csv', 'id\n1\n');
    const failed = await importFile(w.db, file, ['--encoding', 'utf8']);
    assert.equal(failed.code, 64, failed.stderr);
    assert.match(failed.stderr, /--encoding/);
    const help = await runExample('file-import', ['--help']);
    assert.match(help.stdout, /--encoding <utf-8\|utf-16le\|utf-16be\|latin1\|windows-1252\|macintosh>/);
    assert.match(help.stdout, /FILE_IMPORT_ENCODING/);
  });
});
