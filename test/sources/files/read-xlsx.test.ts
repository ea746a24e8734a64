import assert from 'node:assert/strict';
import { readFile as readBytes } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { CancelledError, ConfigError, PermanentError } from 'ferry';
import { readFile, readXlsx, type XlsxRecord } from 'ferry/files';
import { describePosition } from '../../../src/sources/source-item.ts';
import { writeXlsx, type WorkbookSpec } from '../../fixtures/files/xlsx-writer.ts';
import { collect, records, tempFiles } from './temp-files.ts';
import { OPENPYXL_PEOPLE, PEOPLE_ROWS, XLSXWRITER_1904, XLSXWRITER_FORMULAS, peopleRow } from './xlsx-fixtures.ts';

const files = await tempFiles();

describe('readXlsx reads workbooks as third-party writers write them', () => {
  it('the first sheet by default: 1,000 rows of openpyxl, exactly as written', async () => {
    let header: readonly string[] = [];
    let sheet = '';
    const items = await collect(
      readFile(OPENPYXL_PEOPLE, { onHeader: (names) => (header = names), onSheet: (name) => (sheet = name) }),
    );
    assert.equal(sheet, 'People');
    assert.deepEqual(header, ['id', 'name', 'born', 'last_seen', 'score', 'active', 'note', 'amount']);
    assert.equal(items.length, PEOPLE_ROWS);
    for (const [k, item] of items.entries()) {
      const i = k + 1;
      assert.deepEqual(item, {
        ok: true,
        record: peopleRow(i),
        position: { source: OPENPYXL_PEOPLE, sheet: 'People', row: i + 1 },
      });
    }
  });

  it('sheet picks a sheet by its name: empty cells, an empty row and a short row read as null', async () => {
    const items = await collect(readXlsx(OPENPYXL_PEOPLE, { sheet: 'Orders' }));
    assert.deepEqual(
      items.filter((item) => item.ok).map((item) => [item.position.row, item.record]),
      [
        [2, { order_id: 'A-1', customer: 'Zoë', total: 12.5, shipped: '2024-02-29' }],
        [3, { order_id: 'A-2', customer: '東京', total: null, shipped: null }],
        [5, { order_id: 'A-3', customer: 'short row', total: null, shipped: null }],
      ],
    );
  });

  it('an error cell is a reject that names the sheet, the row and the cell', async () => {
    const rejects = (await collect(readXlsx(OPENPYXL_PEOPLE, { sheet: 'Orders' }))).filter((item) => !item.ok);
    assert.deepEqual(rejects, [
      {
        ok: false,
        raw: { order_id: 'A-4', customer: '#N/A', total: '#N/A', shipped: null },
        reason: 'cell C6 holds the error #N/A',
        position: { source: OPENPYXL_PEOPLE, sheet: 'Orders', row: 6, cell: 'C6' },
      },
    ]);
    assert.equal(
      describePosition(rejects[0]?.position ?? { source: '' }),
      `${OPENPYXL_PEOPLE}, sheet "Orders", row 6, cell C6`,
    );
  });

  it('dates of the 1900 system around its leap-year bug, date-times, milliseconds and a time of day', async () => {
    const rows = await records(readXlsx(OPENPYXL_PEOPLE, { sheet: 'Dates 1900' }));
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.what, r.value])), {
      'first day': '1900-01-01',
      'before the leap bug': '1900-02-28',
      'after the leap bug': '1900-03-01',
      'leap day': '2024-02-29',
      'date-time': '2024-02-29T13:45:30',
      'with ms': '2024-02-29T13:45:30.250',
      'time only': '13:45:00',
      'last day': '9999-12-31',
    });
  });

  it('the 1904 date system and inline strings (xlsxwriter, constant memory)', async () => {
    assert.deepEqual(await records(readXlsx(XLSXWRITER_1904)), [
      { day: '1904-01-01', at: '2024-02-29T13:45:30', clock: '23:59:59', text: 'inline ünïcode' },
      { day: '1999-12-31', at: '1904-01-02T06:00:00', clock: '00:00:01', text: 'line\r\nbreak' },
    ]);
  });

  it('formulas as their cached values, rich text flattened; a cached #DIV/0! is a reject (xlsxwriter)', async () => {
    const items = await collect(readXlsx(XLSXWRITER_FORMULAS, { sheet: 'q1 results' }));
    const rich = 'plain bold tail';
    assert.deepEqual(
      items.map((item) => (item.ok ? item.record : item.reason)),
      [
        { item: 'bolt', qty: 4, price: 0.25, total: 1, big: false, label: 'few', rich },
        { item: 'nut', qty: 10, price: 0.1, total: 1, big: true, label: 'many', rich },
        { item: 'gear', qty: 0, price: 3.5, total: 0, big: false, label: 'few', rich },
        'cell D5 holds the error #DIV/0!',
      ],
    );
    assert.deepEqual(items[3]?.position, { source: XLSXWRITER_FORMULAS, sheet: 'Q1 Results', row: 5, cell: 'D5' });
  });

  it('a value beyond the header is a reject naming its cell, not a column lost', async () => {
    const items = await collect(readXlsx(OPENPYXL_PEOPLE, { sheet: 'Ragged' }));
    assert.deepEqual(items[1], {
      ok: false,
      raw: { a: 3, b: 4, C: 'beyond' },
      reason:
        "cell C3 has a value beyond the header's 2 columns (A to B of row 1, the sheet's first row with a value): give the column a name in the header row, or clear the cell; if row 1 is a title above the header, delete the rows above the header",
      position: { source: OPENPYXL_PEOPLE, sheet: 'Ragged', row: 3, cell: 'C3' },
    });
  });

  it('a sheet the workbook lacks is a ConfigError that lists the sheets it has', async () => {
    await assert.rejects(collect(readXlsx(OPENPYXL_PEOPLE, { sheet: 'Customers' })), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'XLSX_NO_SUCH_SHEET');
      assert.equal(
        error.message,
        `--sheet "Customers": ${OPENPYXL_PEOPLE} has no such sheet; its sheets are "People", "Orders", "Dates 1900", "Ragged"`,
      );
      return true;
    });
  });
});

/** A one-sheet workbook of hand-written rows. */
async function workbook(name: string, spec: Partial<WorkbookSpec> & { rows?: string[] }): Promise<string> {
  const { rows = [], ...rest } = spec;
  const file = `${files.dir}/${name}.xlsx`;
  await writeXlsx(file, { sheets: [{ name: 'Sheet1', rows }], ...rest });
  return file;
}

const row = (r: number, ...cells: string[]) => `<row r="${r}">${cells.join('')}</row>`;
const str = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
const num = (ref: string, v: string, style = 0) => `<c r="${ref}" s="${style}"><v>${v}</v></c>`;

describe('readXlsx reads SpreadsheetML as the standard writes it', () => {
  it('shared strings: rich runs flattened, phonetic guides left out, _xHHHH_ escapes, entities, CDATA', async () => {
    const file = await workbook('strings', {
      sharedStrings: [
        '<si><t>name</t></si>',
        '<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> and plain</t></r></si>',
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>',
        '<si><t>cr_x000D_lf &amp; &#x1F680; &lt;tag&gt; _x005F_x0041_</t></si>',
        '<si><t><![CDATA[<not a tag> & raw]]></t></si>',
        '<si><!-- a comment --><t>after a comment</t></si>',
      ],
      rows: [1, 2, 3, 4, 5].map((s, i) => row(i + 1, `<c r="A${i + 1}" t="s"><v>${i === 0 ? 0 : s}</v></c>`)),
    });
    assert.deepEqual(
      (await records(readXlsx(file))).map((r) => r.name),
      ['bold and plain', '東京', 'cr\rlf & 🚀 <tag> _x0041_', '<not a tag> & raw', 'after a comment'].slice(1),
    );
  });

  it('shared strings past the 1 MiB pages they are kept in: across a page boundary, longer than a page', async () => {
    const texts = [
      'x'.repeat(1024 * 1024 - 10),
      'straddles ü, ü, ü',
      'y'.repeat(2.5 * 1024 * 1024),
      'é'.repeat(600_000),
      'after',
    ];
    const file = await workbook('pages', {
      sharedStrings: ['name', ...texts].map((text) => `<si><t>${text}</t></si>`),
      rows: ['name', ...texts].map((_, i) => row(i + 1, `<c r="A${i + 1}" t="s"><v>${i}</v></c>`)),
    });
    const names = (await records(readXlsx(file))).map((r) => r.name);
    assert.equal(names.length, texts.length);
    for (const [i, text] of texts.entries())
      assert.ok(names[i] === text, `string ${i + 1} (${text.length} characters) differs`);
  });

  it('numbers, booleans, formula strings and ISO dates as the cell types say', async () => {
    const file = await workbook('types', {
      rows: [
        row(1, str('A1', 'n'), str('B1', 'b'), str('C1', 'f'), str('D1', 'd')),
        row(
          2,
          num('A2', '1.0000000000000001E-3'),
          '<c r="B2" t="b"><v>1</v></c>',
          '<c r="C2" t="str"><f>A2&amp;""</f><v>0.001</v></c>',
          '<c r="D2" t="d"><v>2024-02-29T10:00:00Z</v></c>',
        ),
        row(3, num('A3', '9007199254740991'), '<c r="B3" t="b"><v>0</v></c>', '<c r="C3" t="str"><f>""</f><v></v></c>'),
      ],
    });
    assert.deepEqual(await records(readXlsx(file)), [
      { n: 0.001, b: true, f: '0.001', d: '2024-02-29T10:00:00Z' },
      { n: 9007199254740991, b: false, f: '', d: null },
    ]);
  });

  it('dates by number format: built-in and custom codes; durations, percentages and quoted text stay numbers', async () => {
    const formats: [code: string | number, serial: string, expected: string | number][] = [
      [14, '45352', '2024-03-01'],
      [22, '45352.5', '2024-03-01T12:00:00'],
      [46, '1.5', 1.5], // [h]:mm:ss, a duration
      ['yyyy\\-mm\\-dd', '45352', '2024-03-01'],
      ['yyyy\\-mm\\-dd', '45352.5', '2024-03-01T12:00:00'], // a date format, but the serial has a time: kept
      ['[Red][$-409]d mmm yyyy;@', '45352', '2024-03-01'],
      ['hh:mm', '0.75', '18:00:00'],
      ['hh:mm', '45352.5', '2024-03-01T12:00:00'], // a time format, but the serial is past one day
      ['mm:ss.0', '0.000011574', '00:00:01'],
      ['[h]:mm', '1.5', 1.5],
      ['0.00%', '0.5', 0.5],
      ['0 "days"', '3', 3],
      ['General', '45352', 45352],
    ];
    const codes = [...new Set(formats.flatMap(([code]) => (typeof code === 'string' ? [code] : [])))];
    const numFmts = Object.fromEntries(codes.map((code, i) => [164 + i, code]));
    const ids = formats.map(([code]) => (typeof code === 'number' ? code : 164 + codes.indexOf(code)));
    const file = await workbook('formats', {
      numFmts,
      cellFormats: [0, ...ids],
      rows: [row(1, str('A1', 'v')), ...formats.map(([, serial], i) => row(i + 2, num(`A${i + 2}`, serial, i + 1)))],
    });
    assert.deepEqual(
      (await records(readXlsx(file))).map((r) => r.v),
      formats.map(([, , expected]) => expected),
    );
  });

  it('a serial no calendar has (29 February 1900, a negative date) is a reject naming the cell', async () => {
    const file = await workbook('bad-dates', {
      cellFormats: [0, 14],
      rows: [
        row(1, str('A1', 'd')),
        row(2, num('A2', '60', 1)),
        row(3, num('A3', '-1', 1)),
        row(4, num('A4', '61', 1)),
      ],
    });
    const items = await collect(readXlsx(file));
    assert.deepEqual(
      items.map((item) => (item.ok ? item.record.d : item.reason)),
      [
        'cell A2 holds a date that cannot be read: 60 is 29 February 1900, a day that does not exist (Excel counts it for Lotus 1-2-3)',
        'cell A3 holds a date that cannot be read: -1 is outside the dates a spreadsheet shows',
        '1900-03-01',
      ],
    );
  });

  it('a formula with no saved result is a reject, not a silent null', async () => {
    const file = await workbook('uncomputed', {
      rows: [row(1, str('A1', 'a'), str('B1', 'sum')), row(2, num('A2', '2'), '<c r="B2"><f>A2*2</f><v></v></c>')],
    });
    const [item] = await collect(readXlsx(file));
    assert.equal(item?.ok, false);
    assert.match(item.ok ? '' : item.reason, /^cell B2 holds a formula with no saved result/);
  });

  it('a workbook rewritten between two reads is read anew: no shared string of the old one is kept', async () => {
    const version = (names: string[]) => ({
      sharedStrings: ['<si><t>name</t></si>', ...names.map((name) => `<si><t>${name}</t></si>`)],
      rows: [
        row(1, '<c r="A1" t="s"><v>0</v></c>'),
        ...names.map((_, i) => row(i + 2, `<c r="A${i + 2}" t="s"><v>${i + 1}</v></c>`)),
      ],
    });
    const file = await workbook('rewritten', version(['Ada', 'Alan']));
    const first = readXlsx(file)[Symbol.asyncIterator]();
    assert.deepEqual((await first.next()).value?.record, { name: 'Ada' }); // still open: its table is in use
    assert.deepEqual(await records(readXlsx(file)), [{ name: 'Ada' }, { name: 'Alan' }]);
    await writeXlsx(file, {
      sheets: [{ name: 'Sheet1', rows: version(['Bea', 'Bob']).rows }],
      ...version(['Bea', 'Bob']),
    });
    assert.deepEqual(await records(readXlsx(file)), [{ name: 'Bea' }, { name: 'Bob' }]);
    await first.return?.(undefined);
  });

  it('cells and rows without references, a namespace prefix, a header of a number', async () => {
    const file = await workbook('no-refs', {
      parts: {
        'xl/worksheets/sheet1.xml':
          '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>' +
          '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>2024</x:v></x:c></x:row>' +
          '<x:row><x:c><x:v>1</x:v></x:c><x:c t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>' +
          '</x:sheetData></x:worksheet>',
      },
    });
    assert.deepEqual(await collect(readXlsx(file)), [
      { ok: true, record: { a: 1, 2024: 'x' }, position: { source: file, sheet: 'Sheet1', row: 2 } },
    ]);
  });

  it('an empty sheet yields nothing; a header alone tells its names and yields nothing', async () => {
    const empty = await workbook('empty', {});
    const headers: { file: string; names: readonly string[] }[] = [];
    const onHeader = (file: string) => (names: readonly string[]) => headers.push({ file, names });
    assert.deepEqual(await collect(readXlsx(empty, { onHeader: onHeader(empty) })), []);
    const headerOnly = await workbook('header-only', { rows: [row(3, str('A3', 'x'), str('B3', 'y'))] });
    assert.deepEqual(await collect(readXlsx(headerOnly, { onHeader: onHeader(headerOnly) })), []);
    assert.deepEqual(headers, [{ file: headerOnly, names: ['x', 'y'] }]);
  });

  it('a header cell left empty, or a name twice, fails like a CSV header, naming the columns', async () => {
    const cases: [cells: string[], message: RegExp][] = [
      [
        [str('A1', 'a'), str('C1', 'c')],
        /column B of the header has no name: give every column a name in row 1 of sheet "Sheet1"/,
      ],
      [[str('A1', 'a'), str('B1', 'b'), str('C1', 'a')], /the header names "a" twice \(columns A and C\)/],
    ];
    for (const [i, [cells, message]] of cases.entries()) {
      const file = await workbook(`header-${i}`, { rows: [row(1, ...cells), row(2, num('A2', '1'))] });
      await assert.rejects(
        collect(readXlsx(file)),
        (error) =>
          error instanceof PermanentError && error.code === 'XLSX_HEADER_INVALID' && message.test(error.message),
      );
    }
  });
});

describe('readXlsx refuses what is no readable workbook, with a PermanentError that says so', () => {
  const refused = async (file: string, message: RegExp) =>
    assert.rejects(collect(readXlsx(file)), (error) => {
      assert.ok(error instanceof PermanentError, `not a PermanentError: ${String(error)}`);
      assert.equal(error.code, 'XLSX_INVALID');
      assert.match(error.message, message);
      return true;
    });

  it('a CSV named .xlsx', async () => {
    const file = await files.write('really-a.csv.xlsx', 'id,name\n1,Zoë\n');
    await refused(file, /is not an XLSX workbook: it is not a ZIP package .*pass the format it really has/);
  });

  it('a copy cut short', async () => {
    const bytes = await readBytes(OPENPYXL_PEOPLE);
    const file = await files.write('cut.xlsx', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await refused(file, /is not an XLSX workbook: it is not a ZIP package/);
  });

  it('a damaged sheet: bytes overwritten in the middle of its compressed data', async () => {
    const bytes = Buffer.from(await readBytes(OPENPYXL_PEOPLE));
    const at = bytes.indexOf('xl/worksheets/sheet1.xml') + 2000; // well inside the first sheet's data
    bytes.fill(0x55, at, at + 64);
    const file = await files.write('damaged.xlsx', bytes);
    await refused(
      file,
      /is not a readable XLSX workbook: xl\/worksheets\/sheet1\.xml (cannot be read|is damaged|is not well-formed)/,
    );
  });

  it('a sheet whose XML ends early, or declares a DOCTYPE', async () => {
    const sheet = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">';
    const cut = await workbook('xml-cut', { parts: { 'xl/worksheets/sheet1.xml': `${sheet}<c r="A1"><v>1</v></c>` } });
    await refused(cut, /sheet1\.xml is not well-formed XML: it ends before its root element is closed/);
    const doctype = await workbook('doctype', {
      parts: { 'xl/worksheets/sheet1.xml': `<!DOCTYPE x [<!ENTITY a "aaaa">]>${sheet}</row></sheetData></worksheet>` },
    });
    await refused(doctype, /sheet1\.xml is not well-formed XML: it has a DOCTYPE/);
  });

  it('a cell that refers to a shared string the table lacks', async () => {
    const file = await workbook('bad-index', {
      sharedStrings: ['<si><t>a</t></si>'],
      rows: [row(1, '<c r="A1" t="s"><v>0</v></c>'), row(2, '<c r="A2" t="s"><v>7</v></c>')],
    });
    await refused(file, /a cell in row 2 refers to shared string 7, and there are 1/);
  });

  it('a styles part bigger than any real one (a ZIP bomb) is refused before it is inflated', async () => {
    const padding = `<!--${'x'.repeat(65 * 1024 * 1024)}-->`;
    const file = await workbook('bomb', { parts: { 'xl/styles.xml': `<styleSheet>${padding}</styleSheet>` } });
    await refused(file, /xl\/styles\.xml is 65 MiB, more than such a part ever holds/);
  });

  it('a workbook with no workbook part', async () => {
    const file = await workbook('no-workbook', { parts: { '_rels/.rels': '<Relationships/>' } });
    await refused(file, /it has no workbook part/);
  });
});

describe('readFile and xlsx', () => {
  it('picks the reader from .xlsx and .xlsm, or from format', async () => {
    const bytes = await readBytes(XLSXWRITER_FORMULAS);
    const xlsm = await files.write('macro.XLSM', bytes);
    const noExtension = await files.write('export.bin', bytes);
    const sheet = 'Other';
    for (const [file, format] of [
      [xlsm, undefined],
      [noExtension, 'xlsx'],
    ] as const) {
      const read = readFile(file, { sheet, ...(format ? { format } : {}) }) as AsyncIterable<{
        ok: true;
        record: XlsxRecord;
      }>;
      assert.deepEqual(await records(read), [{ x: 42 }]);
    }
  });

  it('options that do not apply to a workbook are ConfigErrors at the call', () => {
    assert.throws(() => readFile(OPENPYXL_PEOPLE, { encoding: 'latin1' }), ConfigError);
    assert.throws(() => readFile(`${OPENPYXL_PEOPLE}.gz`), /gunzip it first/);
    assert.throws(() => readFile('a.csv', { sheet: 'People' }), /a sheet \(People\) applies to XLSX workbooks only/);
    assert.throws(() => readXlsx(OPENPYXL_PEOPLE, { sheet: ' ' }), ConfigError);
  });

  it('a file that is not there is FILE_NOT_FOUND; a cancelled read stops with CancelledError', async () => {
    await assert.rejects(
      collect(readXlsx(`${files.dir}/missing.xlsx`)),
      (error) => error instanceof PermanentError && error.code === 'FILE_NOT_FOUND',
    );
    const controller = new AbortController();
    let read = 0;
    await assert.rejects(async () => {
      for await (const _item of readXlsx(OPENPYXL_PEOPLE, { signal: controller.signal }))
        if (++read === 10) controller.abort();
    }, CancelledError);
    assert.equal(read, 10);
  });
});
