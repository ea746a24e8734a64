// The committed workbooks of test/fixtures/files/ (written by make-xlsx.py with openpyxl and
// xlsxwriter) and the rows they hold, computed here as the script computes them.
import path from 'node:path';

const DIR = path.join(import.meta.dirname, '..', '..', 'fixtures', 'files');

/** openpyxl: sheets People (1,000 rows), Orders, "Dates 1900", Ragged; strings inline. */
export const OPENPYXL_PEOPLE = path.join(DIR, 'openpyxl-people.xlsx');
/** xlsxwriter: sheets "Q1 Results" (formulas with cached values, a cached #DIV/0!) and Other; shared strings. */
export const XLSXWRITER_FORMULAS = path.join(DIR, 'xlsxwriter-formulas.xlsx');
/** xlsxwriter, constant memory: the 1904 date system, inline strings; sheet Mac. */
export const XLSXWRITER_1904 = path.join(DIR, 'xlsxwriter-1904.xlsx');

export const PEOPLE_ROWS = 1000;
export const PEOPLE_COLUMNS = ['id', 'name', 'born', 'last_seen', 'score', 'active', 'note', 'amount'];
const NAMES = [
  'Zoë',
  'Łukasz',
  'Søren',
  '東京',
  'Ђорђе',
  '🚀 rocket',
  "O'Brien",
  'a & b <c>',
  'two\nlines',
  '  spaced  ',
];
const DAY_MS = 86_400_000;

/** Row i (1-based) of the People sheet as readXlsx reads it: make-xlsx.py's people_row(i). */
export function peopleRow(i: number): Record<string, string | number | boolean | null> {
  return {
    id: i,
    name: `${NAMES[i % NAMES.length]} ${i}`,
    born: new Date(Date.UTC(1950, 0, 1) + ((i * 37) % 20000) * DAY_MS).toISOString().slice(0, 10),
    last_seen: new Date(Date.UTC(2024, 0, 1) + i * 7919 * 1000).toISOString().slice(0, 19),
    score: Number((i * 0.1).toPrecision(16)), // openpyxl writes floats with 16 significant digits ("%.16g")
    active: i % 3 === 0,
    note: i % 7 === 0 ? null : `note ${i}`,
    amount: i * 1000003,
  };
}
