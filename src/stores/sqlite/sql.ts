import type { ColumnType, TableSpec } from '../tables.ts';

export const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

export const SQL_TYPE: Record<ColumnType, string> = {
  text: 'TEXT', integer: 'INTEGER', real: 'REAL', boolean: 'INTEGER', json: 'TEXT', blob: 'BLOB',
};

/**
 * A one-column INTEGER primary key would become the rowid, and then a new row's rowid would be
 * its key, not one past the highest: the store tells inserts by that (and the undo journal takes
 * back rows past it). Declared INT, the key keeps integer affinity and stays a column of its own.
 */
function keyType(t: ColumnType): string {
  return SQL_TYPE[t] === 'INTEGER' ? 'INT' : SQL_TYPE[t];
}

export function createTableSql(name: string, spec: TableSpec): string {
  const cols = Object.entries(spec.columns).map(
    ([c, t]) => (spec.primaryKey.includes(c) ? `${q(c)} ${keyType(t)} NOT NULL` : `${q(c)} ${SQL_TYPE[t]}`),
  );
  return `CREATE TABLE IF NOT EXISTS ${q(name)} (${cols.join(', ')}, PRIMARY KEY (${spec.primaryKey.map(q).join(', ')}))`;
}

/**
 * The upsert of `rows` rows: each inserts, or updates only where a value really differs (a
 * repeated append or an unchanged row changes nothing). No RETURNING: it costs ~30% of a first run.
 */
export function upsertSql(name: string, spec: TableSpec, rows = 1): string {
  const cols = Object.keys(spec.columns);
  const values = spec.mode === 'append' ? [] : cols.filter((c) => !spec.primaryKey.includes(c));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const insert = `INSERT INTO ${q(name)} (${cols.map(q).join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')} ON CONFLICT (${spec.primaryKey.map(q).join(', ')})`;
  if (values.length === 0) return `${insert} DO NOTHING`;
  const set = values.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ');
  const changed = values.map((c) => `${q(name)}.${q(c)} IS NOT excluded.${q(c)}`).join(' OR ');
  return `${insert} DO UPDATE SET ${set} WHERE ${changed}`;
}
