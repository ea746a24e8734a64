import { canonicalDecimal } from '../../values/exact-json.ts';
import { inherited, ownField } from '../../values/own-field.ts';
import { keyMissing, toSql, type ColumnType, type Row, type TableSpec } from '../tables.ts';

/** One row as a line of COPY's text format, and its key (for spotting a key twice in a batch). */
export interface CopyLine {
  line: string;
  key: string;
}

const NULL = '\\N';
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const AS_WRITTEN = new Set<ColumnType>(['text', 'numeric', 'date', 'timestamp', 'timestamptz']);
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** The encoder of one table's rows: values converted as the SQLite store converts them, booleans as booleans. */
export function copyEncoder(table: string, spec: TableSpec): (row: Row) => CopyLine {
  const names = Object.keys(spec.columns);
  const types = Object.values(spec.columns);
  const keyAt = spec.primaryKey.map((c) => names.indexOf(c));
  const single = keyAt.length === 1 ? (keyAt[0] ?? 0) : -1;
  const own = names.map(inherited);
  return (row) => {
    let line = '';
    const fields: string[] = new Array<string>(names.length);
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const text = field(own[i] ? ownField(row, name) : row[name], types[i] as ColumnType);
      fields[i] = text;
      line += i === 0 ? text : `\t${text}`;
    }
    for (const i of keyAt) if (fields[i] === NULL) throw keyMissing(table, names[i], row);
    const key =
      single >= 0
        ? keyText(fields[single] as string, types[single] as ColumnType)
        : keyAt.map((i) => keyText(fields[i] as string, types[i] as ColumnType)).join('\t');
    return { line: `${line}\n`, key };
  };
}

function field(value: unknown, type: ColumnType): string {
  if (value === undefined || value === null) return NULL;
  if (type === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number' && (type === 'integer' || type === 'real')) return String(value); // the fast path
  // A decimal or a date as text goes as written: the server reads it (NUMERIC keeps 12.50 as 12.50).
  const sql = typeof value === 'string' && AS_WRITTEN.has(type) ? value : toSql(value, type);
  if (sql === null) return NULL;
  if (sql instanceof Uint8Array)
    return `\\\\x${Buffer.from(sql.buffer, sql.byteOffset, sql.byteLength).toString('hex')}`;
  const text = typeof sql === 'string' ? sql : String(sql);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : text;
}

/**
 * A key's text as PostgreSQL compares it: `1.0` and `1.00` are one numeric, `…00:00Z` and
 * `…01:00+01:00` one timestamptz, `2024-01-02` and `2024-01-02 00:00` one timestamp. Two such
 * rows in one upsert failed it ("ON CONFLICT DO UPDATE command cannot affect row a second time").
 */
function keyText(text: string, type: ColumnType): string {
  if (type === 'numeric' || type === 'real') return canonicalDecimal(text) ?? text;
  if (type !== 'timestamp' && type !== 'timestamptz') return text;
  const m = MOMENT.exec(text);
  if (m === null) return text;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = ''] = m;
  const micros = fraction.padEnd(6, '0');
  if (type === 'timestamp') return `${y}-${mo}-${d} ${h}:${mi}:${s}.${micros}`;
  const zoned = ZONE.exec(zone);
  if (zoned === null) return text;
  const [, sign, zh = '0', zm = '0'] = zoned;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi) - offset, Number(s));
  return `${utc}.${micros}`;
}

/** The date, time and zone of a date or timestamp as value-kinds.ts takes them. */
const MOMENT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(.*)$/;
const ZONE = /^(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * Splits a batch so that no key is twice in one statement (ON CONFLICT would refuse it): the
 * first occurrence of each key goes in the first round, the second in the second, and so on.
 * Applied in order, the last occurrence wins and every row is counted, as in the SQLite store.
 */
export function rounds(lines: readonly CopyLine[]): (readonly CopyLine[])[] {
  const seen = new Set<string>();
  for (const line of lines) {
    if (seen.has(line.key)) return splitRounds(lines);
    seen.add(line.key);
  }
  return [lines];
}

function splitRounds(lines: readonly CopyLine[]): CopyLine[][] {
  const seen = new Map<string, number>();
  const out: CopyLine[][] = [];
  for (const line of lines) {
    const n = seen.get(line.key) ?? 0;
    seen.set(line.key, n + 1);
    (out[n] ??= []).push(line);
  }
  return out;
}
