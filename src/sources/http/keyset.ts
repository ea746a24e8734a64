import { PermanentError } from '../../errors/errors.ts';
import { isExactNumber, jsonText, type ExactNumber } from '../../values/exact-json.ts';
import { safeUrl } from './http-errors.ts';

/** A value that orders records: a timestamp or other text, or a number (an exact one too). */
export type CursorValue = string | number | ExactNumber;

const INTEGER = /^-?(0|[1-9]\d*)$/;

/** The record's value of `field`, when it is one that can order records. */
export function cursorValueOf(record: unknown, field: string): CursorValue | undefined {
  if (typeof record !== 'object' || record === null || !Object.hasOwn(record, field)) return undefined;
  const value = (record as Record<string, unknown>)[field];
  return typeof value === 'string' || typeof value === 'number' || isExactNumber(value) ? value : undefined;
}

/**
 * Numbers by value (integers past 2^53 too), and two strings that are both integers as written
 * without leading zeros ("9" before "10": ids an API sends as strings); anything else (ISO
 * timestamps, codes) as text.
 */
export function compareCursorValues(a: CursorValue, b: CursorValue): number {
  const [x, y] = [String(jsonText(a)), String(jsonText(b))];
  const integers = typeof a === 'string' && typeof b === 'string' && INTEGER.test(a) && INTEGER.test(b);
  if (!integers && (typeof a === 'string' || typeof b === 'string')) return x < y ? -1 : x > y ? 1 : 0;
  if (!/^-?\d+$/.test(x) || !/^-?\d+$/.test(y)) return Number(x) - Number(y);
  const difference = BigInt(x) - BigInt(y);
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

/** The last cursor value among the records, as a query parameter carries it. */
export function lastCursorText(records: unknown[], field: string): string | undefined {
  for (const record of records.toReversed()) {
    const text = cursorText(record, field);
    if (text !== undefined) return text;
  }
  return undefined;
}

/**
 * For keyset reads: checks that each page is sorted by `field`, and drops the records a page
 * repeats from the end of the one before (asking from the last value read returns those again).
 */
export function keysetPages(field: string): (url: URL, records: unknown[]) => unknown[] {
  let tail = new Map<string, number>();
  return (url, records) => {
    checkOrder(url, records, field);
    const fresh = records.filter((record) => !takeOne(tail, JSON.stringify(record)));
    tail = tailOf(records, field);
    return fresh;
  };
}

/** The records at the end of a page that share its last cursor value, as JSON, with their counts. */
function tailOf(records: unknown[], field: string): Map<string, number> {
  const last = lastCursorText(records, field);
  const tail = new Map<string, number>();
  for (const record of records.toReversed()) {
    if (last === undefined || cursorText(record, field) !== last) break;
    const text = JSON.stringify(record);
    tail.set(text, (tail.get(text) ?? 0) + 1);
  }
  return tail;
}

function takeOne(counts: Map<string, number>, key: string): boolean {
  const count = counts.get(key) ?? 0;
  if (count > 0) counts.set(key, count - 1);
  return count > 0;
}

function cursorText(record: unknown, field: string): string | undefined {
  const value = cursorValueOf(record, field);
  return value === undefined ? undefined : String(jsonText(value));
}

/** A keyset read skips whatever sorts before the last value read: a page out of order would lose records. */
function checkOrder(url: URL, records: unknown[], field: string): void {
  let previous: CursorValue | undefined;
  for (const [index, record] of records.entries()) {
    const value = cursorValueOf(record, field);
    if (value === undefined) continue;
    if (previous !== undefined && compareCursorValues(value, previous) < 0) {
      const message =
        `GET ${safeUrl(url)}: record ${index} has ${field} ${jsonText(value)}, below the ${jsonText(previous)} ` +
        `before it; reading by keyset needs the records sorted by "${field}", ascending: ask the API for that ` +
        'order (a sort parameter in the URL)';
      throw new PermanentError(message, { code: 'HTTP_KEYSET_ORDER' });
    }
    previous = value;
  }
}
