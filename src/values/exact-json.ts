/**
 * JSON numbers kept exactly as written. A JavaScript number holds 15 to 17 significant digits;
 * ids from real APIs (64-bit keys, snowflakes) and precise decimals need more, and JSON.parse
 * would round them silently (9007199254740993 becomes …992, another record's key). Such a
 * number comes back as a raw JSON value (`JSON.rawJSON`): JSON.stringify writes it as it came,
 * the stores store its text (or a bigint in an integer column), and `isExactNumber` tells it.
 * Every other number is a plain number.
 */
export interface ExactNumber {
  /** The number's digits exactly as the JSON had them. */
  readonly rawJSON: string;
}

interface JsonWithSource {
  rawJSON(text: string): ExactNumber;
  isRawJSON(value: unknown): value is ExactNumber;
  parse(
    text: string,
    reviver: (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown,
  ): unknown;
}

const json = JSON as unknown as JsonWithSource;

/**
 * Where a number token may not survive as a double: 16 or more digits (a point among them, or
 * leading zeros), or an exponent of three digits. Text without either parses exactly with the
 * plain JSON.parse; text with one (a long digit string counts too) takes the slower exact parse.
 */
const MAYBE_INEXACT = /[\d.]{16}|\d[eE][+-]?\d{3}/;

/** JSON.parse, but a number a double cannot hold exactly comes back as an ExactNumber. */
export function parseJson(text: string): unknown {
  if (!MAYBE_INEXACT.test(text)) return JSON.parse(text);
  return json.parse(text, (_key, value, context) =>
    typeof value === 'number' && context?.source !== undefined ? exactNumber(context.source) : value,
  );
}

/** The value of a JSON number token: a number when it is exact, else an ExactNumber. */
export function exactNumber(text: string): number | ExactNumber {
  const value = Number(text);
  // Up to 15 characters means up to 15 significant digits: a double holds those exactly.
  if (text.length <= 15 && !/[eE]/.test(text)) return value;
  const shortest = String(value);
  if (shortest === text || sameDecimal(shortest, text)) return value;
  return json.rawJSON(text);
}

/** Whether a value is a number kept exactly as its JSON wrote it (see {@link ExactNumber}). */
export function isExactNumber(value: unknown): value is ExactNumber {
  return json.isRawJSON(value);
}

/** A JSON value as text for a TEXT column: strings as they are, numbers as written, the rest as JSON. */
export function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (isExactNumber(value)) return value.rawJSON;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Whether two decimal numerals name the same number: `1.50` and `1.5`, `1e3` and `1000`. */
function sameDecimal(a: string, b: string): boolean {
  const x = canonical(a);
  const y = canonical(b);
  return x !== undefined && y !== undefined && x.sign === y.sign && x.digits === y.digits && x.exponent === y.exponent;
}

const NUMERAL = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** sign, significant digits, and where the point goes: 0.0120 → ('', '12', -1). Zero has no sign. */
function canonical(text: string): { sign: string; digits: string; exponent: number } | undefined {
  const match = NUMERAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
  const all = whole + fraction;
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  if (digits === '') return { sign: '', digits: '', exponent: 0 };
  return { sign, digits, exponent: whole.length - lead + Number(exp) };
}
