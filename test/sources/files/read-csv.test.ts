import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, PermanentError } from 'ferry';
import { readCsv } from 'ferry/files';
import { collect, records, tempFiles } from './temp-files.ts';

const files = await tempFiles();

describe('readCsv reads RFC 4180', () => {
  const cases: [name: string, csv: string, expected: Record<string, string>[]][] = [
    ['quoted fields with delimiters', 'a,b\n"x, y","z"\n', [{ a: 'x, y', b: 'z' }]],
    ['escaped quotes', 'a,b\n"say ""hi""","""quoted"""\n', [{ a: 'say "hi"', b: '"quoted"' }]],
    ['an LF inside quotes', 'a,b\n"line 1\nline 2",x\n', [{ a: 'line 1\nline 2', b: 'x' }]],
    ['a CRLF inside quotes', 'a,b\r\n"line 1\r\nline 2",x\r\n', [{ a: 'line 1\r\nline 2', b: 'x' }]],
    [
      'CRLF row endings',
      'a,b\r\n1,2\r\n3,4\r\n',
      [
        { a: '1', b: '2' },
        { a: '3', b: '4' },
      ],
    ],
    ['no line ending at the end', 'a,b\n1,2', [{ a: '1', b: '2' }]],
    [
      'multibyte text',
      'name,city\nZoë,東京\n"🚀 launch",São Paulo\n',
      [
        { name: 'Zoë', city: '東京' },
        { name: '🚀 launch', city: 'São Paulo' },
      ],
    ],
    [
      'empty fields as empty strings',
      'a,b,c\n,,\n"",x,\n',
      [
        { a: '', b: '', c: '' },
        { a: '', b: 'x', c: '' },
      ],
    ],
    ['a UTF-8 BOM before the header', '\uFEFFid,name\n1,Zoë\n', [{ id: '1', name: 'Zoë' }]],
    ['header names as written', ' Id ,Full Name\n1,x\n', [{ ' Id ': '1', 'Full Name': 'x' }]],
    ['blank lines skipped', 'a\n1\n\n2\n\n', [{ a: '1' }, { a: '2' }]],
    ['a header and no rows', 'a,b\n', []],
    ['an empty file', '', []],
  ];
  for (const [name, csv, expected] of cases) {
    it(name, async () => {
      const file = await files.write(`${name.replaceAll(/\W+/g, '-')}.csv`, csv);
      assert.deepEqual(await records(readCsv(file)), expected);
    });
  }

  it('a semicolon delimiter', async () => {
    const file = await files.write('semicolon.csv', 'a;b\n"1;5";2,5\n');
    assert.deepEqual(await records(readCsv(file, { delimiter: ';' })), [{ a: '1;5', b: '2,5' }]);
  });

  describe('without a delimiter given, the file shows it', () => {
    const cases: [name: string, csv: string, expected: Record<string, string>[]][] = [
      ['a header of semicolons (Excel where , is the decimal mark)', 'a;b\n1;2,5\n', [{ a: '1', b: '2,5' }]],
      ['semicolons and no comma anywhere: once a one-column import', 'id;name\n1;x\n', [{ id: '1', name: 'x' }]],
      ['tabs', 'a\tb\n1\t2\n', [{ a: '1', b: '2' }]],
      ['pipes', 'a|b\n1|2\n', [{ a: '1', b: '2' }]],
      ['a semicolon inside a quoted name counts for nothing', '"a;b";c\n1;2\n', [{ 'a;b': '1', c: '2' }]],
      ['a comma anywhere in the header: commas', 'a;x,b\n1;y,2\n', [{ 'a;x': '1;y', b: '2' }]],
      ['names holding pipes beside a comma: commas', 'id,a|b|c\n1,x\n', [{ id: '1', 'a|b|c': 'x' }]],
      ['one column', 'name\nAda\n', [{ name: 'Ada' }]],
      ["Excel's sep= line names it and is no row", 'sep=;\r\na;b\r\n1;2,5\r\n', [{ a: '1', b: '2,5' }]],
      ['a sep= line over a header of commas still wins', 'sep=|\na,b|c\n1,2|3\n', [{ 'a,b': '1,2', c: '3' }]],
      ['a sep= line alone: no record', 'sep=;\n', []],
    ];
    for (const [name, csv, expected] of cases) {
      it(name, async () => {
        const file = await files.write(`sniff-${name.length}.csv`, csv);
        assert.deepEqual(await records(readCsv(file)), expected);
      });
    }

    it('a delimiter given wins; a sep= line is skipped all the same, and lines are counted from it', async () => {
      const file = await files.write('sep-given.csv', 'sep=;\na,b\n1,2\n3\n');
      const items = await collect(readCsv(file, { delimiter: ',' }));
      assert.deepEqual(
        items.map((i) => (i.ok ? i.record : i.position)),
        [
          { a: '1', b: '2' },
          { source: file, row: 2, line: 4 },
        ],
      );
    });
  });

  it('a "__proto__" column is a field like any other', async () => {
    const file = await files.write('proto.csv', '__proto__,b\nx,y\n');
    const [record] = await records(readCsv(file));
    assert.deepEqual(Object.entries(record ?? {}), [
      ['__proto__', 'x'],
      ['b', 'y'],
    ]);
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
  });
});

describe('readCsv positions', () => {
  it('row counts data records, line is where each record starts', async () => {
    const csv = 'id,note\r\n1,"two\r\nlines"\r\n\r\n2,plain\r\n3,"a\nb\nc"\n4,end\n';
    const file = await files.write('positions.csv', csv);
    const positions = (await collect(readCsv(file))).map((item) => item.position);
    assert.deepEqual(positions, [
      { source: file, row: 1, line: 2 },
      { source: file, row: 2, line: 5 },
      { source: file, row: 3, line: 6 },
      { source: file, row: 4, line: 9 },
    ]);
  });

  it('a ragged row is an item, not an end: the stream goes on past it', async () => {
    const csv = 'a,b,c\n1,2,3\n"multi\nline",2,3\n4,5,6,7\n8,9\n10,11,12\n';
    const file = await files.write('ragged.csv', csv);
    assert.deepEqual(await collect(readCsv(file)), [
      { ok: true, record: { a: '1', b: '2', c: '3' }, position: { source: file, row: 1, line: 2 } },
      { ok: true, record: { a: 'multi\nline', b: '2', c: '3' }, position: { source: file, row: 2, line: 3 } },
      {
        ok: false,
        raw: '4,5,6,7',
        reason: 'row 3 has 4 fields, the header has 3',
        position: { source: file, row: 3, line: 5 },
      },
      {
        ok: false,
        raw: '8,9',
        reason: 'row 4 has 2 fields, the header has 3',
        position: { source: file, row: 4, line: 6 },
      },
      { ok: true, record: { a: '10', b: '11', c: '12' }, position: { source: file, row: 5, line: 7 } },
    ]);
  });

  it('multibyte text and line numbers survive chunk boundaries', async () => {
    // Far more than one 64 KiB read, so chunks split characters and CRLFs.
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},"Zoë 東京 🚀\r\n${i}"`);
    const file = await files.write('chunks.csv', `id,text\r\n${rows.join('\r\n')}\r\n`);
    const items = await collect(readCsv(file));
    assert.equal(items.length, 20_000);
    for (const [i, item] of items.entries()) {
      assert.ok(item.ok);
      assert.equal(item.record.text, `Zoë 東京 🚀\r\n${i}`);
      assert.equal(item.position.line, 2 + 2 * i);
    }
  });
});

describe('readCsv refuses a broken file', () => {
  const broken: [name: string, csv: string, code: string, message: RegExp][] = [
    ['a duplicate header name', 'id,name,id\n1,2,3\n', 'CSV_HEADER_INVALID', /names "id" twice \(columns 1 and 3\)/],
    ['an empty header name', 'id,,name\n1,2,3\n', 'CSV_HEADER_INVALID', /column 2 of the header has no name/],
    ['a quote never closed', 'a,b\n1,2\n3,"open\n4,5\n', 'CSV_INVALID', /at row 2: Quote Not Closed/],
    ['text after a closing quote', 'a,b\n1,2\n3,"x"y\n', 'CSV_INVALID', /at row 2: Invalid Closing Quote/],
  ];
  for (const [name, csv, code, message] of broken) {
    it(name, async () => {
      const file = await files.write(`${name.replaceAll(/\W+/g, '-')}.csv`, csv);
      await assert.rejects(
        collect(readCsv(file)),
        (error) => error instanceof PermanentError && error.code === code && message.test(error.message),
      );
    });
  }

  it('a record over the limit, as from a quote never closed, without holding the rest of the file', async () => {
    const file = await files.write('runaway.csv', `a,b\n1,"open\n${'2,3\n'.repeat(50_000)}`);
    await assert.rejects(
      collect(readCsv(file, { maxRecordBytes: 100_000 })),
      (error) =>
        error instanceof PermanentError &&
        error.code === 'CSV_INVALID' &&
        error.message === `${file}: row 1 is longer than 97.7 KiB: most likely a quote that is never closed`,
    );
  });

  it('a delimiter that cannot work is a ConfigError at the call', () => {
    assert.throws(() => readCsv('any.csv', { delimiter: '' }), ConfigError);
    assert.throws(() => readCsv('any.csv', { delimiter: '"' }), ConfigError);
    assert.throws(() => readCsv('any.csv', { delimiter: '\\t' }), /a backslash and a letter, not a tab/);
  });
});

describe('readCsv stops early', () => {
  it('when the reader breaks, and reads the same file again', async () => {
    const file = await files.write('early.csv', `a\n${'x\n'.repeat(100_000)}`);
    for await (const _ of readCsv(file)) break;
    assert.equal((await collect(readCsv(file))).length, 100_000);
  });
});
