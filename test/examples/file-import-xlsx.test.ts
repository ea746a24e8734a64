import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseEventLines, resultOf } from '../helpers/protocol.ts';
import { runExample } from '../helpers/example-job.ts';
import {
  OPENPYXL_PEOPLE,
  PEOPLE_COLUMNS,
  PEOPLE_ROWS,
  XLSXWRITER_1904,
  peopleRow,
} from '../sources/files/xlsx-fixtures.ts';
import { writeXlsx } from '../fixtures/files/xlsx-writer.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-xlsx-'));
  return {
    db: path.join(dir, 'f.db'),
    /** A copy of a fixture in the workspace, so the table is named after it and nothing else shares it. */
    copy: async (fixture: string, name = path.basename(fixture)) => {
      await copyFile(fixture, path.join(dir, name));
      return path.join(dir, name);
    },
    write: async (name: string, content: string | Uint8Array) => {
      await writeFile(path.join(dir, name), content);
      return path.join(dir, name);
    },
  };
}
// Cells as their text, into text columns (--no-infer); typed columns from a workbook: file-import-types.test.ts.
const importFile = (db: string, file: string, args: string[] = [], env: Record<string, string> = {}) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--log-format', 'json', '--no-infer', ...args], {
    env,
  });
const result = resultOf;

/** A value as file-import stores it in its TEXT columns. */
function stored(value: string | number | boolean | null): string | null {
  return value === null ? null : String(value);
}

describe('file-import: XLSX workbooks', () => {
  it('imports the 1,000 rows of an openpyxl workbook exactly: numbers, true/false, ISO dates, NULL', async () => {
    const w = await workspace();
    const file = await w.copy(OPENPYXL_PEOPLE, 'people.xlsx');
    const finished = await importFile(w.db, file, ['--key', 'id']);
    assert.equal(finished.code, 0, finished.stderr);
    const end = result(finished);
    assert.equal(end.counts?.read, PEOPLE_ROWS);
    assert.equal(end.counts?.inserted, PEOPLE_ROWS);
    const expected = Array.from({ length: PEOPLE_ROWS }, (_, k) =>
      Object.fromEntries(Object.entries(peopleRow(k + 1)).map(([column, value]) => [column, stored(value)])),
    );
    const rows = userColumns(tableRows(w.db, 'people', 'CAST(id AS INTEGER)'));
    assert.deepEqual(Object.keys(rows[0] ?? {}), PEOPLE_COLUMNS);
    assert.deepEqual(rows, expected);
    // The same row, spot-checked as a user would read it.
    assert.deepEqual(rows[5], {
      id: '6',
      name: "O'Brien 6",
      born: '1950-08-11',
      last_seen: '2024-01-01T13:11:54',
      score: '0.6000000000000001',
      active: 'true',
      note: 'note 6',
      amount: '6000018',
    });
  });

  it('--sheet (or FILE_IMPORT_SHEET) picks the sheet; an error cell is a reject naming sheet, row and cell', async () => {
    for (const [args, env] of [
      [['--sheet', 'Orders', '--max-rejects', '1'], {}],
      [['--max-rejects', '1'], { FILE_IMPORT_SHEET: 'Orders' }],
    ] as const) {
      const w = await workspace();
      const file = await w.copy(OPENPYXL_PEOPLE, 'book.xlsx');
      const finished = await importFile(w.db, file, [...args], env);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(userColumns(tableRows(w.db, 'book', 'order_id')), [
        { order_id: 'A-1', customer: 'Zoë', total: '12.5', shipped: '2024-02-29' },
        { order_id: 'A-2', customer: '東京', total: null, shipped: null },
        { order_id: 'A-3', customer: 'short row', total: null, shipped: null },
      ]);
      const logs = parseEventLines(finished.stdout).flatMap((e) => (e.type === 'log' ? [e.msg] : []));
      assert.equal(
        logs.find((msg) => msg.startsWith('rejected')),
        `rejected ${file}, sheet "Orders", row 6, cell C6: cell C6 holds the error #N/A`,
      );
    }
  });

  it('the default --max-rejects 0 fails the run with 65 on an error cell, and keeps nothing', async () => {
    const w = await workspace();
    const file = await w.copy(OPENPYXL_PEOPLE, 'book.xlsx');
    const failed = await importFile(w.db, file, ['--sheet', 'Orders']);
    assert.equal(failed.code, 65, failed.stderr);
    assert.deepEqual(tableRows(w.db, 'book', 'order_id'), []);
  });

  it('two sheets of one workbook into one table: each replaces only its own rows', async () => {
    const w = await workspace();
    const file = await w.copy(OPENPYXL_PEOPLE, 'book.xlsx');
    for (const sheet of ['Dates 1900', 'Ragged', 'Dates 1900']) {
      const finished = await importFile(w.db, file, ['--sheet', sheet, '--table', 'mixed', '--max-rejects', '1']);
      assert.equal(finished.code, 0, finished.stderr);
    }
    const rows = tableRows(w.db, 'mixed', '_ferry_source, _ferry_id');
    assert.deepEqual(
      rows.map((r) => [r._ferry_source, r.what ?? r.a]),
      [
        ...['first day', 'before the leap bug', 'after the leap bug', 'leap day', 'date-time', 'with ms'].map(
          (what) => [`${file}#Dates 1900`, what],
        ),
        [`${file}#Dates 1900`, 'time only'],
        [`${file}#Dates 1900`, 'last day'],
        [`${file}#Ragged`, '1'],
      ],
    );
  });

  it('a sheet emptied to its header deletes, with --allow-empty, the rows it brought, and only those', async () => {
    const w = await workspace();
    const file = await w.write('book.xlsx', '');
    const cells = (r: number, ...values: string[]) =>
      `<row r="${r}">${values.map((v, i) => `<c r="${'AB'[i]}${r}" t="inlineStr"><is><t>${v}</t></is></c>`).join('')}</row>`;
    const sheets = (a: string[]) => [
      { name: 'A', rows: a },
      { name: 'B', rows: [cells(1, 'id', 'v'), cells(2, 'b1', 'kept')] },
    ];
    await writeXlsx(file, { sheets: sheets([cells(1, 'id', 'v'), cells(2, 'a1', 'x'), cells(3, 'a2', 'y')]) });
    for (const sheet of ['A', 'B']) {
      const finished = await importFile(w.db, file, ['--sheet', sheet, '--table', 't']);
      assert.equal(finished.code, 0, finished.stderr);
    }
    assert.equal(tableRows(w.db, 't', 'id').length, 3);
    await writeXlsx(file, { sheets: sheets([cells(1, 'id', 'v')]) });
    const refused = await importFile(w.db, file, ['--sheet', 'A', '--table', 't']);
    assert.equal(refused.code, 65, refused.stderr);
    assert.equal(result(refused).error?.code, 'EMPTY_FILE');
    const emptied = await importFile(w.db, file, ['--sheet', 'A', '--table', 't', '--allow-empty']);
    assert.equal(emptied.code, 0, emptied.stderr);
    assert.equal(result(emptied).counts?.deleted, 2);
    assert.deepEqual(userColumns(tableRows(w.db, 't', 'id')), [{ id: 'b1', v: 'kept' }]);
  });

  it('the 1904 date system of an xlsxwriter workbook, --format xlsx for a name without the extension', async () => {
    const w = await workspace();
    const file = await w.copy(XLSXWRITER_1904, 'mac_export.bin');
    const finished = await importFile(w.db, file, ['--format', 'xlsx', '--table', 'mac', '--key', 'day']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'mac', 'day')), [
      { day: '1904-01-01', at: '2024-02-29T13:45:30', clock: '23:59:59', text: 'inline ünïcode' },
      { day: '1999-12-31', at: '1904-01-02T06:00:00', clock: '00:00:01', text: 'line\r\nbreak' },
    ]);
  });

  it('without --sheet, the first sheet the user sees: a hidden first tab (a lookup list) is passed over', async () => {
    const w = await workspace();
    const file = await w.write('book.xlsx', '');
    const cells = (r: number, ...values: string[]) =>
      `<row r="${r}">${values.map((v, i) => `<c r="${'AB'[i]}${r}" t="inlineStr"><is><t>${v}</t></is></c>`).join('')}</row>`;
    // As LibreOffice and openpyxl write a workbook whose first tab was hidden: state="hidden".
    await writeXlsx(file, {
      sheets: [
        { name: 'Lookup', state: 'hidden', rows: [cells(1, 'code', 'label'), cells(2, 'A', 'Alpha')] },
        { name: 'Macros', state: 'veryHidden', rows: [cells(1, 'x'), cells(2, 'y')] },
        { name: 'Sales', rows: [cells(1, 'id', 'sku'), cells(2, '1', '00123'), cells(3, '2', '00456')] },
      ],
    });
    const finished = await importFile(w.db, file);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'book', 'id')), [
      { id: '1', sku: '00123' },
      { id: '2', sku: '00456' },
    ]);
    assert.deepEqual(
      tableRows(w.db, 'book', 'id').map((r) => r._ferry_source),
      [`${file}#Sales`, `${file}#Sales`],
    );
    // Named, a hidden sheet is read as any other.
    const named = await importFile(w.db, file, ['--sheet', 'Lookup', '--table', 'lookup']);
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'lookup', 'code')), [{ code: 'A', label: 'Alpha' }]);
  });

  it('a sheet the workbook lacks exits 64 and names the sheets it has', async () => {
    const w = await workspace();
    const file = await w.copy(OPENPYXL_PEOPLE, 'book.xlsx');
    const failed = await importFile(w.db, file, ['--sheet', 'Customers']);
    assert.equal(failed.code, 64, failed.stderr);
    assert.equal(result(failed).error?.code, 'XLSX_NO_SUCH_SHEET');
    assert.match(
      result(failed).error?.message ?? '',
      /--sheet "Customers": .*book\.xlsx has no such sheet; its sheets are "People", "Orders", "Dates 1900", "Ragged"$/,
    );
  });

  it('rows that show nothing (formulas copied down that give "") are no rows, with or without --key', async () => {
    // As LibreOffice saves =IF(A4="","",B4*10) filled down past the data: t="str" and an empty <v>.
    const blank = (r: number) =>
      `<row r="${r}"><c r="C${r}" t="str"><f>IF(A${r}="","",B${r}*10)</f><v></v></c><c r="D${r}" t="str"><f>""</f><v></v></c></row>`;
    const rows = [
      `<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>qty</t></is></c><c r="C1" t="inlineStr"><is><t>total</t></is></c><c r="D1" t="str"><f>""</f><v></v></c></row>`,
      `<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><f>IF(A2="","",B2*10)</f><v>20</v></c></row>`,
      `<row r="3"><c r="A3"><v>2</v></c><c r="B3"><v>5</v></c><c r="C3" t="str"><f>IF(A3="","",B3*10)</f><v></v></c></row>`,
      ...[4, 5, 6, 7].map(blank),
    ];
    for (const args of [[], ['--key', 'id']]) {
      const w = await workspace();
      const file = await w.write('template.xlsx', '');
      await writeXlsx(file, { sheets: [{ name: 'Orders', rows }] });
      const finished = await importFile(w.db, file, args);
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal(result(finished).counts?.read, 2);
      // A '' inside the header's columns is still the value '' of a row that shows something.
      assert.deepEqual(userColumns(tableRows(w.db, 'template', 'id')), [
        { id: '1', qty: '2', total: '20' },
        { id: '2', qty: '5', total: '' },
      ]);
    }
  });

  it('a date of 0 (=B2 on an empty date: Excel shows 1900-01-00) is a reject, not 1899-12-31', async () => {
    const w = await workspace();
    const file = await w.write('due.xlsx', '');
    const text = (ref: string, v: string) => `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
    await writeXlsx(file, {
      cellFormats: [0, 14],
      sheets: [
        {
          name: 'S',
          rows: [
            `<row r="1">${text('A1', 'id')}${text('B1', 'due')}</row>`,
            `<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="1"><v>45351</v></c></row>`,
            `<row r="3"><c r="A3"><v>2</v></c><c r="B3" s="1"><f>C3</f><v>0</v></c></row>`,
          ],
        },
      ],
    });
    const finished = await importFile(w.db, file, ['--max-rejects', '1']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'due', 'id')), [{ id: '1', due: '2024-02-29' }]);
    const logs = parseEventLines(finished.stdout).flatMap((e) => (e.type === 'log' ? [e.msg] : []));
    assert.equal(
      logs.find((msg) => msg.startsWith('rejected')),
      `rejected ${file}, sheet "S", row 3, cell B3: cell B3 holds a date that cannot be read: 0 is 0 January 1900, a day that does not exist (Excel shows a date of 0 so, as for a formula on an empty cell)`,
    );
  });

  it('a number in a zero-padded format (Zip Code 00000, SSN 000-00-0000) is the text it shows: 02134', async () => {
    const w = await workspace();
    const file = await w.write('zips.xlsx', '');
    const head =
      '<row r="1">' +
      ['id', 'zip', 'ssn', 'qty']
        .map((v, i) => `<c r="${'ABCD'[i]}1" t="inlineStr"><is><t>${v}</t></is></c>`)
        .join('') +
      '</row>';
    const row = (r: number, zip: number, ssn: number, qty: number) =>
      `<row r="${r}"><c r="A${r}"><v>${r - 1}</v></c><c r="B${r}" s="1"><v>${zip}</v></c><c r="C${r}" s="2"><v>${ssn}</v></c><c r="D${r}" s="3"><v>${qty}</v></c></row>`;
    await writeXlsx(file, {
      // As Excel writes its Special formats, and a plain "0" that pads nothing.
      numFmts: { 164: '00000', 165: '000\\-00\\-0000', 166: '0' },
      cellFormats: [0, 164, 165, 166],
      sheets: [{ name: 'S', rows: [head, row(2, 2134, 12345678, 7), row(3, 90210, 987654321, 12)] }],
    });
    // Typed as inferred (not --no-infer): the zeros make the columns text, as Excel's CSV of the sheet would.
    const finished = await runExample('file-import', ['--db-path', w.db, '--file', file]);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'zips', 'id')), [
      { id: 1, zip: '02134', ssn: '012-34-5678', qty: 7 },
      { id: 2, zip: '90210', ssn: '987-65-4321', qty: 12 },
    ]);
  });

  it('an inline string a writer put in <v>, or in <is> without t="inlineStr", is its text, not NULL', async () => {
    const w = await workspace();
    const file = await w.write('inline.xlsx', '');
    const rows = [
      '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>v</t></is></c></row>',
      '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><v>Coffee &amp; tea</v></c></row>',
      '<row r="3"><c r="A3"><v>2</v></c><c r="B3"><is><t>typed by its payload</t></is></c></row>',
      '<row r="4"><c r="A4"><v>3</v></c><c r="B4" t="inlineStr"><is><r><t>rich</t></r><r><t xml:space="preserve"> text</t></r></is></c></row>',
      '<row r="5"><c r="A5"><v>4</v></c><c r="B5" t="inlineStr"/></row>',
    ];
    await writeXlsx(file, { sheets: [{ name: 'S', rows }] });
    const finished = await importFile(w.db, file);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'inline', 'CAST(id AS INTEGER)')), [
      { id: '1', v: 'Coffee & tea' },
      { id: '2', v: 'typed by its payload' },
      { id: '3', v: 'rich text' },
      { id: '4', v: null },
    ]);
  });

  it('a title row above the header (a report as LibreOffice saves it): 65, the message says to delete it', async () => {
    const w = await workspace();
    const file = await w.write('report.xlsx', '');
    const text = (ref: string, v: string) => `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
    const rows = [
      // The title, merged across A1:C1: its other cells written empty, with their style alone.
      `<row r="1">${text('A1', 'Quarterly report')}<c r="B1" s="0"/><c r="C1" s="0"/></row>`,
      `<row r="3">${text('A3', 'id')}${text('B3', 'sku')}${text('C3', 'price')}</row>`,
      `<row r="4"><c r="A4"><v>1</v></c>${text('B4', '00123')}<c r="C4"><v>12.5</v></c></row>`,
    ];
    await writeXlsx(file, { sheets: [{ name: 'Report', rows }] });
    const failed = await importFile(w.db, file);
    assert.equal(failed.code, 65, failed.stderr);
    assert.match(
      result(failed).error?.message ?? '',
      /cell B3 has a value beyond the header's 1 columns \(A to A of row 1, the sheet's first row with a value\): .*; if row 1 is a title above the header, delete the rows above the header/,
    );
  });

  it('rows out of order are read; a row or cell that comes twice is 65 XLSX_INVALID, never one value lost', async () => {
    const w = await workspace();
    const inline = (v: string, ref = '') => `<c${ref && ` r="${ref}"`} t="inlineStr"><is><t>${v}</t></is></c>`;
    const row = (r: number | undefined, ...cells: string[]) =>
      `<row${r === undefined ? '' : ` r="${r}"`}>${cells.join('')}</row>`;
    // Excel writes rows in order; a streaming writer may not: row 5 before row 3 is still two rows.
    const ordered = await w.write('ordered.xlsx', '');
    await writeXlsx(ordered, {
      sheets: [
        {
          name: 'S',
          rows: [row(1, inline('id'), inline('v')), row(5, inline('a'), inline('1')), row(3, inline('b'), inline('2'))],
        },
      ],
    });
    const finished = await importFile(w.db, ordered);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'ordered', 'id')), [
      { id: 'a', v: '1' },
      { id: 'b', v: '2' },
    ]);
    // Rows numbered by counting (no r=) and then by r= can name one row twice; so can two cells.
    const cases: [string, string[], RegExp][] = [
      [
        'rows.xlsx',
        [
          row(undefined, inline('id'), inline('v')),
          row(undefined, inline('a'), inline('1')),
          row(2, inline('b'), inline('2')),
        ],
        /sheet "S": row 2 comes twice/,
      ],
      [
        'cells.xlsx',
        [row(1, inline('id'), inline('v')), row(2, inline('a', 'A2'), inline('1', 'A2'))],
        /sheet "S": cell A2 comes twice/,
      ],
    ];
    for (const [name, rows, message] of cases) {
      const file = await w.write(name, '');
      await writeXlsx(file, { sheets: [{ name: 'S', rows }] });
      const failed = await importFile(w.db, file);
      assert.equal(failed.code, 65, failed.stderr);
      assert.equal(result(failed).error?.code, 'XLSX_INVALID');
      assert.match(result(failed).error?.message ?? '', message);
    }
  });

  it('a workbook cut short, or a CSV named .xlsx, exits 65 with XLSX_INVALID and stores nothing', async () => {
    const w = await workspace();
    const bytes = await readFile(OPENPYXL_PEOPLE);
    const files = [
      await w.write('cut.xlsx', bytes.subarray(0, Math.floor(bytes.length / 2))),
      await w.write('csv.xlsx', 'id,name\n1,Zoë\n'),
    ];
    for (const file of files) {
      const failed = await importFile(w.db, file);
      assert.equal(failed.code, 65, failed.stderr);
      const error = result(failed).error;
      assert.equal(error?.code, 'XLSX_INVALID');
      assert.match(error?.message ?? '', /is not an XLSX workbook: it is not a ZIP package/);
    }
  });
});
