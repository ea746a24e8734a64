/**
 * Dates in a workbook are numbers: days since an epoch, the time of day as the fraction. Only
 * the cell's number format says a number is a date, so a reader tells dates by their formats.
 */

/** How a number format shows a number: as a date, a time of day, both, or as a number (undefined). */
export type DateKind = 'date' | 'time' | 'datetime';

/**
 * The built-in formats that show dates (ECMA-376 part 1, 18.8.30): 14–17 dates, 18–21 and 45,
 * 47 times, 22 a date and time; 27–36 and 50–58 are the East Asian date formats. 46
 * (`[h]:mm:ss`) is a duration, not a time of day, so it stays a number.
 */
const BUILT_IN: Record<number, DateKind> = {
  14: 'date',
  15: 'date',
  16: 'date',
  17: 'date',
  18: 'time',
  19: 'time',
  20: 'time',
  21: 'time',
  22: 'datetime',
  45: 'time',
  47: 'time',
  ...Object.fromEntries(
    [27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58].map((id) => [id, 'date']),
  ),
};

/** The kind of a number format, from its id and, for a custom one (164 and up), its code. */
export function dateKind(id: number, code: string | undefined): DateKind | undefined {
  return code === undefined ? BUILT_IN[id] : codeKind(code);
}

/**
 * A custom format code shows a date when it has date or time tokens (d, m, y; h, s; AM/PM)
 * outside quoted text, escapes and brackets. Only the first section counts (the one for positive
 * numbers). An elapsed-time format (`[h]:mm`) shows a duration: a number.
 */
function codeKind(code: string): DateKind | undefined {
  const plain = code.replace(/"[^"]*"|\\.|[_*]./g, '');
  const first = plain.split(';')[0] ?? '';
  if (/\[(h+|m+|s+)\]/i.test(first)) return undefined;
  const tokens = first.replace(/\[[^\]]*\]/g, '');
  if (/^general$/i.test(tokens.trim())) return undefined;
  const time = /[hs]/i.test(tokens) || /AM\/PM|A\/P/i.test(tokens);
  // m is minutes next to h or s, and a month otherwise.
  const date = /[dy]/i.test(tokens) || (/m/i.test(tokens) && !time);
  if (date && time) return 'datetime';
  return date ? 'date' : time ? 'time' : undefined;
}

const DAY_MS = 86_400_000;
/** Serial 1 is 1900-01-01; Excel counts a 29 February 1900 that never was (serial 60), as Lotus 1-2-3 did. */
const EPOCH_1900 = Date.UTC(1899, 11, 31);
const EPOCH_1900_AFTER_BUG = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);
/** 9999-12-31, the last day Excel shows. */
const MAX_SERIAL = 2_958_465;

/**
 * The ISO 8601 text of a date serial, as its format shows it: a date `2024-03-01`, a date-time
 * `2024-03-01T13:45:00` (milliseconds only when there are any), a time of day `13:45:00` for a
 * time format and a serial under one day. A date format with a time in the serial keeps the time:
 * nothing is dropped. No zone: a workbook has none. A serial Excel cannot show as a date
 * (negative, after 9999, or the 29 February 1900 that never was) gives a reason instead.
 */
export function isoDate(serial: number, kind: DateKind, date1904: boolean): { iso: string } | { reason: string } {
  if (serial < 0 || serial >= MAX_SERIAL + 1) return { reason: `${serial} is outside the dates a spreadsheet shows` };
  if (!date1904 && serial >= 60 && serial < 61)
    return { reason: `${serial} is 29 February 1900, a day that does not exist (Excel counts it for Lotus 1-2-3)` };
  // Day 0 of the 1900 system, shown as 1900-01-00: no calendar's day, though 1899-12-31 looks like one.
  if (!date1904 && serial < 1 && kind !== 'time')
    return {
      reason: `${serial} is 0 January 1900, a day that does not exist (Excel shows a date of 0 so, as for a formula on an empty cell)`,
    };
  const epoch = date1904 ? EPOCH_1904 : serial < 60 ? EPOCH_1900 : EPOCH_1900_AFTER_BUG;
  const ms = Math.round(serial * DAY_MS);
  const text = new Date(epoch + ms).toISOString(); // 2024-03-01T13:45:00.000Z
  const time = ms % 1000 === 0 ? text.slice(11, 19) : text.slice(11, 23);
  if (kind === 'time' && serial < 1) return { iso: time };
  if (kind === 'date' && ms % DAY_MS === 0) return { iso: text.slice(0, 10) };
  return { iso: `${text.slice(0, 10)}T${time}` };
}
