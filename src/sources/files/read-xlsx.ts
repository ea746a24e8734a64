import { ConfigError, PermanentError } from '../../errors/errors.ts';
import type { Position, SourceItem } from '../source-item.ts';
import { checkHeader, recordMaker, type HeaderPlace } from './csv-header.ts';
import { fileSource, type FileSource } from './file-source.ts';
import { throwIfCancelled } from './open-stream.ts';
import { XlsxPackage } from './xlsx-package.ts';
import { CellProblem, SheetRows, columnName, type CellValue, type SheetRow } from './xlsx-sheet.ts';
import { readNumberStyles } from './xlsx-styles.ts';
import { readSharedStrings } from './xlsx-shared-strings.ts';
import { pickSheet, readWorkbook } from './xlsx-workbook.ts';
import { XmlScanner } from './xml-scanner.ts';

/** What {@link readXlsx} takes: which sheet, a cancel signal, a header callback. */
export interface ReadXlsxOptions {
  /** Stops the read: the reader throws a CancelledError at its next record. */
  signal?: AbortSignal;
  /** The worksheet to read, by its tab's name. Default: the first not hidden. A name the workbook lacks is a ConfigError. */
  sheet?: string;
  /** Called with the header's names once it is read: a sheet of a header alone yields no record. */
  onHeader?: (names: readonly string[]) => void;
  /** Called with the name of the sheet being read (the first one, when none is named), before its rows. */
  onSheet?: (name: string) => void;
}

/** A row of a sheet keyed by the header's names: text, numbers, booleans, ISO dates, or null for an empty cell. */
export type XlsxRecord = Record<string, CellValue>;

/**
 * Streams the rows of one worksheet of an XLSX (or XLSM) workbook as records keyed by its first
 * row. The sheet is read as it inflates, never whole; the shared-strings table is loaded first.
 * A row with a cell that holds no value (an error such as #N/A, a formula never computed) or a
 * value beyond the header's columns is yielded as `ok: false`, naming the cell; a file that is
 * not a workbook, or a broken one, throws a PermanentError; a sheet it lacks, a ConfigError.
 */
export function readXlsx(file: string, options: ReadXlsxOptions = {}): FileSource<XlsxRecord> {
  if (options.sheet !== undefined && options.sheet.trim() === '')
    throw new ConfigError('the sheet name is empty: pass the name of a tab of the workbook, or none for the first');
  return fileSource(() => records(file, options), options.signal);
}

/** The sheet's records, a read's worth (the rows one inflated piece of the sheet completes) at a time. */
async function* records(file: string, options: ReadXlsxOptions): AsyncGenerator<SourceItem<XlsxRecord>[]> {
  throwIfCancelled(options.signal);
  const pkg = await XlsxPackage.open(file, options.signal);
  try {
    const workbook = await readWorkbook(pkg);
    const sheet = pickSheet(pkg, workbook, options.sheet);
    options.onSheet?.(sheet.name);
    const rows = new SheetRows({
      strings: await readSharedStrings(pkg, workbook.sharedStrings),
      numberStyles: await readNumberStyles(pkg, workbook.styles),
      date1904: workbook.date1904,
      invalid: (what) => pkg.invalid(`sheet ${JSON.stringify(sheet.name)}: ${what}`),
    });
    const toItem = itemMaker(file, sheet.name, options.onHeader);
    const scanner = new XmlScanner(rows);
    const completed = (): SourceItem<XlsxRecord>[] => {
      const items: SourceItem<XlsxRecord>[] = [];
      for (const row of rows.take()) {
        const item = toItem(row);
        if (item !== undefined) items.push(item);
      }
      return items;
    };
    try {
      for await (const text of pkg.text(sheet.part)) {
        scanner.write(text);
        const items = completed();
        throwIfCancelled(options.signal);
        if (items.length > 0) yield items;
      }
      scanner.end();
    } catch (error) {
      throw pkg.xmlError(sheet.part, error);
    }
    const last = completed();
    if (last.length > 0) yield last;
  } finally {
    pkg.close();
  }
}

/** Turns rows into items, in order: the first row with a value is the header, empty rows are skipped. */
function itemMaker(
  file: string,
  sheet: string,
  onHeader: ReadXlsxOptions['onHeader'],
): (row: SheetRow) => SourceItem<XlsxRecord> | undefined {
  let header: string[] | undefined;
  let record: (values: readonly CellValue[]) => XlsxRecord = () => ({}); // made with the header, before any row
  let headerRow = 0;
  return (row) => {
    if (!row.cells.some(hasValue)) return undefined;
    if (header === undefined) {
      header = headerOf(file, sheet, row);
      record = recordMaker(header);
      headerRow = row.number;
      onHeader?.(header);
      return undefined;
    }
    const position: Position = { source: file, sheet, row: row.number };
    const values: CellValue[] = [];
    for (let i = 0; i < Math.max(header.length, row.cells.length); i++) {
      const cell = row.cells[i];
      const fault = i >= header.length && hasValue(cell) ? beyondHeader(cell, header.length, headerRow) : undefined;
      if (cell instanceof CellProblem || fault !== undefined)
        return reject(header, row, fault ?? (cell as CellProblem), { ...position, cell: cellName(i, row) });
      if (i < header.length) values.push(cell ?? null);
    }
    return { ok: true, record: record(values), position };
  };
}

/**
 * Whether a cell shows something: not empty, nor a formula whose result is "" (a template's
 * =IF(A5="","",…) filled down past the data). A row of such cells is an empty row to its user.
 */
function hasValue(cell: CellValue | CellProblem | undefined): boolean {
  return cell !== undefined && cell !== null && cell !== '';
}

/** A value right of the header's last name: a column without one, or a title row taken for the header. */
function beyondHeader(cell: CellValue | CellProblem | undefined, columns: number, headerRow: number): CellProblem {
  const shown = cell instanceof CellProblem ? cell.shown : (cell ?? null);
  const header = `${columnName(0)} to ${columnName(columns - 1)} of row ${headerRow}, the sheet's first row with a value`;
  return new CellProblem(
    shown === null ? null : String(shown),
    `has a value beyond the header's ${columns} columns (${header}): give the column a name in the header row, or clear the cell; if row ${headerRow} is a title above the header, delete the rows above the header`,
  );
}

/** The row as far as it can be read, the problem cell as it shows, for `_ferry_rejects`. */
function reject(header: string[], row: SheetRow, problem: CellProblem, position: Position): SourceItem<XlsxRecord> {
  const raw: Record<string, CellValue> = {};
  for (const [i, cell] of row.cells.entries()) {
    if (cell === undefined) continue;
    raw[header[i] ?? columnName(i)] = cell instanceof CellProblem ? cell.shown : cell;
  }
  return { ok: false, raw, reason: `cell ${position.cell} ${problem.reason}`, position };
}

function headerOf(file: string, sheet: string, row: SheetRow): string[] {
  const place: HeaderPlace = {
    where: `row ${row.number} of sheet ${JSON.stringify(sheet)} (its first row with a value)`,
    column: columnName,
    code: 'XLSX_HEADER_INVALID',
  };
  const last = row.cells.findLastIndex(hasValue);
  const names = Array.from({ length: last + 1 }, (_, i) => {
    const cell = row.cells[i];
    if (!(cell instanceof CellProblem)) return cell === undefined || cell === null ? '' : String(cell);
    throw new PermanentError(`${file}: header cell ${cellName(i, row)} ${cell.reason}: give the column a name`, {
      code: place.code,
    });
  });
  return checkHeader(`${file}, sheet ${JSON.stringify(sheet)}`, names, place);
}

function cellName(column: number, row: SheetRow): string {
  return `${columnName(column)}${row.number}`;
}
