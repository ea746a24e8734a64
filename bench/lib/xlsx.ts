// The CSV benchmark's rows (csv.ts) as an XLSX workbook, written the way Excel writes one: every
// string in the shared-strings table, numbers as numbers, updated_at as a date-time cell with a
// custom number format. Streamed from csvRowAt(i) by the tests' small writer
// (test/fixtures/files/xlsx-writer.ts), so a million rows never sit in memory.
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { escapeXml, writeXlsx } from '../../test/fixtures/files/xlsx-writer.ts';
import { CSV_COLUMNS, csvRowAt } from './csv.ts';

/** Bump when the workbook's shape changes, so a cached file of the old shape is never reused. */
const DATA_VERSION = 1;
const CACHE_DIR = path.join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'ferry-bench');
const ROWS_PER_CHUNK = 5_000;

/** The columns written as numbers; updated_at is a date-time; the rest are shared strings. */
const NUMBER_COLUMNS = new Set<string>(['quantity', 'score']);
const DATE_COLUMN = 'updated_at';
const STRING_COLUMNS = CSV_COLUMNS.filter((c) => !NUMBER_COLUMNS.has(c) && c !== DATE_COLUMN);
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DAY_MS = 86_400_000;
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DATE_TIME_STYLE = 1;

/**
 * Row i's values as file-import stores them from the workbook: like the CSV's, but updated_at
 * as the reader writes a date-time cell (no zone, no milliseconds when there are none).
 */
export function xlsxRowAt(i: number): Record<(typeof CSV_COLUMNS)[number], string> {
  const row = csvRowAt(i);
  return { ...row, updated_at: row.updated_at.replace(/(\.000)?Z$/, '') };
}

/** The cached workbook of `count` rows (plus the header), generated on first use. */
export async function xlsxFile(
  count: number,
  onProgress?: (written: number) => void,
): Promise<{ file: string; bytes: number; generatedMs: number | undefined }> {
  const file = path.join(CACHE_DIR, `people-v${DATA_VERSION}-${count}.xlsx`);
  if (existsSync(file)) return { file, bytes: (await stat(file)).size, generatedMs: undefined };
  const started = performance.now();
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeXlsx(partial, {
    sheets: [{ name: 'people', rows: rows(count, onProgress) }],
    sharedStrings: sharedStrings(count),
    numFmts: { 164: 'yyyy\\-mm\\-dd hh:mm:ss' },
    cellFormats: [0, 164],
  });
  await rename(partial, file); // whole or absent: an interrupted run leaves no short file behind
  return { file, bytes: (await stat(file)).size, generatedMs: performance.now() - started };
}

/** The header's names, then each row's strings, in the order the sheet refers to them. */
function* sharedStrings(count: number): Generator<string> {
  yield CSV_COLUMNS.map((c) => `<si><t>${c}</t></si>`).join('');
  for (let from = 0; from < count; from += ROWS_PER_CHUNK) {
    let chunk = '';
    for (let i = from; i < Math.min(count, from + ROWS_PER_CHUNK); i++) {
      const row = csvRowAt(i);
      for (const c of STRING_COLUMNS) chunk += `<si><t>${escapeXml(row[c])}</t></si>`;
    }
    yield chunk;
  }
}

function* rows(count: number, onProgress?: (written: number) => void): Generator<string> {
  yield `<row r="1">${CSV_COLUMNS.map((_, k) => `<c r="${LETTERS[k]}1" t="s"><v>${k}</v></c>`).join('')}</row>`;
  let next = CSV_COLUMNS.length;
  for (let from = 0; from < count; from += ROWS_PER_CHUNK) {
    let chunk = '';
    for (let i = from; i < Math.min(count, from + ROWS_PER_CHUNK); i++) {
      const row = csvRowAt(i);
      const r = i + 2;
      chunk += `<row r="${r}">`;
      for (const [k, c] of CSV_COLUMNS.entries()) {
        const ref = `${LETTERS[k]}${r}`;
        if (NUMBER_COLUMNS.has(c)) chunk += `<c r="${ref}"><v>${row[c]}</v></c>`;
        else if (c === DATE_COLUMN) chunk += `<c r="${ref}" s="${DATE_TIME_STYLE}"><v>${serial(row[c])}</v></c>`;
        else chunk += `<c r="${ref}" t="s"><v>${next++}</v></c>`;
      }
      chunk += '</row>';
    }
    yield chunk;
    onProgress?.(Math.min(count, from + ROWS_PER_CHUNK));
  }
}

/** An ISO date-time as Excel's serial day number (1900 system, past its leap-year bug). */
function serial(iso: string): number {
  return (Date.parse(iso) - EXCEL_EPOCH_MS) / DAY_MS;
}
