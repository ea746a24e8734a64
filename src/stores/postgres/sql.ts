import { q } from '../quote.ts';
import type { ColumnType, TableSpec } from '../tables.ts';

/**
 * json is TEXT, not JSONB: TEXT keeps the exact text a source sent (JSONB reorders keys, drops
 * duplicates and rewrites numbers), so an unchanged record compares equal and a rerun rewrites
 * nothing; `data::jsonb` in a query still reads it as JSON. The same as the SQLite store.
 */
export const SQL_TYPE: Record<ColumnType, string> = {
  text: 'TEXT',
  integer: 'BIGINT',
  real: 'DOUBLE PRECISION',
  numeric: 'NUMERIC',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  json: 'TEXT',
  blob: 'BYTEA',
};

/** A column's type as ferry's (from format_type); any other (text, varchar, uuid…) is text. */
export function columnTypeOf(formatted: string): ColumnType {
  const base = formatted.replace(/\(.*?\)/, '');
  if (base === 'bigint' || base === 'integer' || base === 'smallint') return 'integer';
  if (base === 'numeric') return 'numeric';
  if (base === 'double precision' || base === 'real') return 'real';
  if (base === 'boolean') return 'boolean';
  if (base === 'date') return 'date';
  if (base === 'timestamp without time zone') return 'timestamp';
  if (base === 'timestamp with time zone') return 'timestamptz';
  if (base === 'bytea') return 'blob';
  return 'text';
}

/**
 * Moves the staged rows into the table: new keys are inserted, a row whose values really differ
 * is updated, the rest are left alone (not even rewritten). `xmax = 0` tells an inserted row from
 * an updated one; rows not returned were unchanged. `copyOld(column)` gives the first value
 * column's new value and copies the row as it was first (the undo journal): evaluated only for a
 * row that really changes. `seen` is a table that remembers the keys (for a replace).
 */
export function upsertSql(
  name: string,
  spec: TableSpec,
  staging: string,
  options: { copyOld?: (column: string) => string; seen?: string; skipUnchanged?: boolean },
): string {
  const cols = Object.keys(spec.columns).map(q);
  const key = spec.primaryKey.map(q);
  const values = Object.keys(spec.columns)
    .filter((c) => !spec.primaryKey.includes(c))
    .map(q);
  let action = 'DO NOTHING';
  let changed = '';
  if (spec.mode !== 'append' && values.length > 0) {
    const set = values.map((c, i) => `${c} = ${i === 0 && options.copyOld ? options.copyOld(c) : `excluded.${c}`}`);
    const row = (alias: string) => `(${values.map((c) => `${alias}.${c}`).join(', ')})`;
    action = `DO UPDATE SET ${set.join(', ')} WHERE ${row('t')} IS DISTINCT FROM ${row('excluded')}`;
    // ON CONFLICT locks every row it meets, even one its WHERE then leaves alone, and that lock
    // is a write to the row's page: where most rows are unchanged, they are left out first.
    if (options.skipUnchanged) {
      const same = `${key.map((k) => `o.${k} = s.${k}`).join(' AND ')} AND ${row('o')} IS NOT DISTINCT FROM ${row('s')}`;
      changed = ` WHERE NOT EXISTS (SELECT 1 FROM ${q(name)} AS o WHERE ${same})`;
    }
  }
  const seen = options.seen
    ? `seen AS (INSERT INTO ${options.seen} SELECT ${key.join(', ')} FROM ${staging} ON CONFLICT DO NOTHING), `
    : '';
  return (
    `WITH ${seen}w AS (INSERT INTO ${q(name)} AS t (${cols.join(', ')}) SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM ${staging} AS s${changed} ` +
    `ON CONFLICT (${key.join(', ')}) ${action} RETURNING (xmax = 0) AS inserted) ` +
    `SELECT (count(*) FILTER (WHERE inserted))::int AS inserted, count(*)::int AS written FROM w`
  );
}

/**
 * A statement with its `?` parameters written in as literals, for a session to send with others in
 * one round trip; undefined when a value cannot be written so (a NUL ends a statement's text early).
 * E'…' reads the same whatever standard_conforming_strings says; a quoted literal takes its type
 * from where it stands, as a parameter does.
 */
export function inlined(sql: string, params: readonly unknown[]): string | undefined {
  const parts = sql.split('?');
  if (parts.length !== params.length + 1)
    throw new TypeError(`${params.length} values for ${parts.length - 1} parameters`);
  let text = parts[0] as string;
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (value === null || value === undefined) text += 'NULL';
    else if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'bigint' ||
      typeof value === 'boolean'
    ) {
      const s = String(value);
      if (s.includes('\0')) return undefined;
      text += `E'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
    } else return undefined;
    text += parts[i + 1] as string;
  }
  return text;
}
