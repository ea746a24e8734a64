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
    const key = single >= 0 ? (fields[single] as string) : keyAt.map((i) => fields[i]).join('\t');
    for (const i of keyAt) if (fields[i] === NULL) throw keyMissing(table, names[i], row);
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
