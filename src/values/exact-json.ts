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
function mayBeInexact(text: string): boolean {
  return hasLongNumeral(text) || BIG_EXPONENT.test(text);
}

const BIG_EXPONENT = /\d[eE][+-]?\d{3}/;
const RUN = 16;
const isNumeral = (c: number) => (c >= 48 && c <= 57) || c === 46; // 0-9 or .

/**
 * Whether 16 digits or points stand in a row. Such a run covers every 16th character of the
 * text, so only those are looked at until one is a digit or point: a regular expression
 * tried at every character took as long as JSON.parse itself.
 */
function hasLongNumeral(text: string): boolean {
  const n = text.length;
  for (let i = RUN - 1; i < n;) {
    if (!isNumeral(text.charCodeAt(i))) {
      i += RUN;
      continue;
    }
    let start = i;
    while (start > 0 && isNumeral(text.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < n && isNumeral(text.charCodeAt(end))) end++;
    if (end - start >= RUN) return true;
    i = end + RUN; // the next run starts past `end`: its 16th character is there at the earliest
  }
  return false;
}

/** JSON.parse, but a number a double cannot hold exactly comes back as an ExactNumber. */
export function parseJson(text: string): unknown {
  if (!mayBeInexact(text)) return JSON.parse(text);
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
  // An integer of 22 digits or more, written out, is a number JavaScript writes with an exponent
  // (1e+29): a text column or the record's JSON would lose the digits the file had.
  if (shortest !== text && shortest.includes('e') && !/[.eE]/.test(text)) return json.rawJSON(text);
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

/** One spelling per number of a decimal numeral (`1.50`, `1.5`, `15e-1` → `15e-1`); undefined for no numeral. */
export function canonicalDecimal(text: string): string | undefined {
  const c = canonical(text);
  return c === undefined ? undefined : `${c.sign}${c.digits}e${c.exponent}`;
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
