import { isExactNumber } from '../values/exact-json.ts';

/**
 * What one value could be, as bits: a column's type is the narrowest one every value's bits
 * allow (see infer-types.ts). Strings are read by exact rules: only a form that means one thing
 * is typed; `00501`, `+1`, `1e5`, `.5`, `yes`, `01/02/2024` and the like are text.
 */
export const Kind = {
  /** An integer within 64 bits, up to 15 significant digits (a double holds it exactly too). */
  integer: 1,
  /** An integer within 64 bits but longer: integer, but not numeric (SQLite's REAL would round it). */
  longInteger: 2,
  /** A decimal of at most 15 significant digits: `12.50`, `-0.001`. */
  decimal: 4,
  boolean: 8,
  /** `2024-02-29` */
  date: 16,
  /** `2024-02-29T13:45:30` or with a space; no zone. */
  timestamp: 32,
  /** A timestamp with `Z` or an offset. */
  timestamptz: 64,
  text: 128,
} as const;

/** Significant digits a double keeps through a round trip (DBL_DIG): a REAL column stores these exactly. */
const DOUBLE_DIGITS = 15;
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '9223372036854775808'; // the digits of the most negative, without its sign

/** The kind of a value; 0 for an empty one (null, undefined, ''), which fits every type as NULL. */
export function kindOf(value: unknown): number {
  if (typeof value === 'string') return value === '' ? 0 : kindOfText(value);
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return kindOfNumber(value);
  if (typeof value === 'boolean') return Kind.boolean;
  if (typeof value === 'bigint') return inInt64(value) ? Kind.longInteger : Kind.text;
  if (isExactNumber(value)) return kindOfNumberText(value.rawJSON);
  return Kind.text; // an object or array: its JSON text
}

function kindOfNumber(n: number): number {
  if (!Number.isFinite(n)) return Kind.text;
  if (Number.isSafeInteger(n)) return Math.abs(n) < 1e15 ? Kind.integer : Kind.longInteger;
  return Kind.decimal; // a double as the source gave it (JSON, a workbook cell): REAL holds it exactly
}

export function kindOfText(s: string): number {
  const c = s.charCodeAt(0);
  if (isDigit(c) || c === 45 /* - */) {
    const number = kindOfNumberText(s);
    if (number !== Kind.text || s.length < 10) return number;
    return kindOfDateText(s);
  }
  if (c === 116 || c === 102 || c === 84 || c === 70) return isBooleanText(s) ? Kind.boolean : Kind.text;
  return Kind.text;
}

/**
 * `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, not `-0`: an integer (within 64 bits) or a decimal of at most
 * 15 significant digits; anything else is text.
 */
function kindOfNumberText(s: string): number {
  const negative = s.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  let i = start;
  const n = s.length;
  if (i >= n) return Kind.text;
  if (s.charCodeAt(i) === 48 /* 0 */) {
    i++;
    if (i < n && s.charCodeAt(i) !== 46 /* . */) return Kind.text; // a leading zero: 00501 is a code, not a number
  } else {
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return Kind.text;
  }
  const intEnd = i;
  if (i === n) {
    if (negative && intEnd - start === 1 && s.charCodeAt(start) === 48) return Kind.text; // -0
    return integerKind(s, start, intEnd, negative);
  }
  if (s.charCodeAt(i) !== 46) return Kind.text;
  i++;
  const fractionStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  if (i !== n || i === fractionStart) return Kind.text; // 5. and 1.5e3 and 1.5x
  let first = start; // the first significant digit
  while (first < n && (s.charCodeAt(first) === 48 || s.charCodeAt(first) === 46)) first++;
  if (first === n) return negative ? Kind.text : Kind.decimal; // 0.00 (and -0.00 is text: the sign would go)
  const digits = n - first - (first < intEnd ? 1 : 0);
  return digits <= DOUBLE_DIGITS ? Kind.decimal : Kind.text;
}

function integerKind(s: string, start: number, end: number, negative: boolean): number {
  const digits = end - start;
  if (digits <= DOUBLE_DIGITS) return Kind.integer;
  if (digits < 19) return Kind.longInteger;
  if (digits > 19) return Kind.text;
  const digitsText = start === 0 ? s : s.slice(start);
  return digitsText <= (negative ? INT64_MIN : INT64_MAX) ? Kind.longInteger : Kind.text;
}

function isBooleanText(s: string): boolean {
  return (
    s === 'true' || s === 'false' || s === 'TRUE' || s === 'FALSE' || s === 'True' || s === 'False' // as spreadsheets and Python write them
  );
}

/** `YYYY-MM-DD`, then optionally `T` or a space, `hh:mm`, `:ss`, `.f` (up to 6 digits), `Z` or `±hh[:mm]`. */
function kindOfDateText(s: string): number {
  if (!isDate(s)) return Kind.text;
  if (s.length === 10) return Kind.date;
  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 32) return Kind.text;
  let i = timeEnd(s, 11);
  if (i < 0) return Kind.text;
  if (i === s.length) return Kind.timestamp;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */) return i + 1 === s.length ? Kind.timestamptz : Kind.text;
  if (z !== 43 && z !== 45) return Kind.text;
  i++;
  if (!twoDigits(s, i, 15)) return Kind.text; // PostgreSQL takes offsets up to 15:59
  i += 2;
  if (i === s.length) return Kind.timestamptz;
  if (s.charCodeAt(i) === 58) i++;
  return twoDigits(s, i, 59) && i + 2 === s.length ? Kind.timestamptz : Kind.text;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDate(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > (DAYS[month - 1] ?? 0)) return false;
  return month !== 2 || day < 29 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
}

/** Where `hh:mm[:ss[.ffffff]]` from `i` ends, or -1. */
function timeEnd(s: string, i: number): number {
  if (!twoDigits(s, i, 23) || s.charCodeAt(i + 2) !== 58 || !twoDigits(s, i + 3, 59)) return -1;
  i += 5;
  if (s.charCodeAt(i) !== 58) return i;
  if (!twoDigits(s, i + 1, 59)) return -1;
  i += 3;
  if (s.charCodeAt(i) !== 46) return i;
  const start = ++i;
  while (isDigit(s.charCodeAt(i))) i++;
  // PostgreSQL keeps microseconds: a seventh digit would be rounded away.
  return i === start || i - start > 6 ? -1 : i;
}

/** The number `n` digits from `at` spell, or -1 when one of them is no digit. */
function digitsAt(s: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

function twoDigits(s: string, i: number, max: number): boolean {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  return isDigit(a) && isDigit(b) && (a - 48) * 10 + (b - 48) <= max;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function inInt64(n: bigint): boolean {
  return n >= -(2n ** 63n) && n <= 2n ** 63n - 1n;
}
