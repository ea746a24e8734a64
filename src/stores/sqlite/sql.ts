import type { DatabaseSync } from 'node:sqlite';
import { PermanentError } from '../../errors/errors.ts';
import { onConflictUpdate, q } from '../quote.ts';
import type { ColumnType, TableSpec } from '../tables.ts';

/** The columns a table has now, in order. */
export function columnsOf(db: DatabaseSync, table: string, schema = 'main'): string[] {
  return (db.prepare(`PRAGMA ${schema}.table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name);
}

/**
 * The name that reaches a table's rowid. A column of the user's own named rowid, _rowid_ or oid
 * takes that name over, so the first one the table leaves free is used; ferry needs one to tell
 * the rows a run inserted (and to take them back).
 */
export function rowidName(table: string, columns: readonly string[]): string {
  const taken = new Set(columns.map((c) => c.toLowerCase()));
  const free = ['rowid', '_rowid_', 'oid'].find((name) => !taken.has(name));
  if (free === undefined) {
    const message = `table ${table} has columns named rowid, _rowid_ and oid: SQLite then has no name left for its row ids, which ferry needs; rename one of them (in a CSV, its header)`;
    throw new PermanentError(message, { code: 'COLUMN_NAME_RESERVED' });
  }
  return free;
}

/**
 * How a table's rows are told apart by rowid: `own` (a rowid of its own, one past the highest for
 * each new row: every table ferry makes), `key` (a one-column `INTEGER PRIMARY KEY`, which is the
 * rowid itself, as the sqlite3 shell, Django, Rails or Prisma make it: a new row's rowid is its
 * key), or `none` (WITHOUT ROWID).
 */
export function rowidKind(db: DatabaseSync, table: string): 'own' | 'key' | 'none' {
  const listed = db.prepare(`PRAGMA main.table_list(${q(table)})`).get() as { wr?: number } | undefined;
  if (listed?.wr === 1) return 'none';
  const key = (db.prepare(`PRAGMA main.table_info(${q(table)})`).all() as { pk: number }[]).filter((c) => c.pk > 0);
  // An INTEGER PRIMARY KEY that is no rowid (declared `INTEGER PRIMARY KEY DESC`, or INT) has an index of its own.
  const indexes = db.prepare(`PRAGMA main.index_list(${q(table)})`).all() as { origin: string }[];
  return key.length === 1 && !indexes.some((i) => i.origin === 'pk') ? 'key' : 'own';
}

/** A WITHOUT ROWID table: ferry has no rowid to tell a run's rows by. */
export function withoutRowid(table: string): PermanentError {
  const message = `table ${table} is WITHOUT ROWID: ferry tells the rows a run inserts by their rowid (to count them, and to take a failed run back), and this table has none; write into a table ferry makes (file-import and rest-import: another --table), then copy its rows over with INSERT … SELECT`;
  return new PermanentError(message, { code: 'TABLE_UNSUPPORTED' });
}

// SQLite's own limit on the columns of a table (SQLITE_MAX_COLUMN).
const MAX_COLUMNS = 2000;

/**
 * What SQLite adds to the rules every store follows: names starting with sqlite_ are its own,
 * column names ignore case (Name and name are one column), and a table has at most 2000 columns.
 * `existing` are the columns the table has already, if it exists.
 */
export function checkSqliteTable(name: string, spec: TableSpec, existing: readonly string[]): void {
  if (name.toLowerCase().startsWith('sqlite_')) {
    const message = `table name ${name}: names starting with sqlite_ are SQLite's own; choose another (--table)`;
    throw new PermanentError(message, { code: 'TABLE_INVALID' });
  }
  const seen = new Map(existing.map((c) => [c.toLowerCase(), c]));
  const declared = new Map<string, string>();
  for (const column of Object.keys(spec.columns)) {
    const other = declared.get(column.toLowerCase());
    if (other !== undefined) {
      const message = `table ${name}: columns ${other} and ${column} are one name to SQLite (it ignores case in column names): rename one of them (in a CSV, its header)`;
      throw new PermanentError(message, { code: 'COLUMN_NAMES_CLASH' });
    }
    declared.set(column.toLowerCase(), column);
    seen.set(column.toLowerCase(), column);
  }
  if (seen.size > MAX_COLUMNS) {
    const message = `table ${name} would have ${seen.size} columns; SQLite allows at most ${MAX_COLUMNS}: split the file, or import it into PostgreSQL`;
    throw new PermanentError(message, { code: 'TOO_MANY_COLUMNS' });
  }
}

/**
 * Dates and timestamps are ISO 8601 text: declared `DATE TEXT` and the like, they have TEXT
 * affinity (SQLite never turns them into numbers) and their type reads back. A decimal is a REAL:
 * NUMERIC affinity would store 2.0 as the integer 2. A boolean is 1 or 0 (NUMERIC affinity).
 */
export const SQL_TYPE: Record<ColumnType, string> = {
  text: 'TEXT',
  integer: 'INTEGER',
  real: 'REAL',
  numeric: 'REAL',
  boolean: 'BOOLEAN',
  date: 'DATE TEXT',
  timestamp: 'TIMESTAMP TEXT',
  timestamptz: 'TIMESTAMPTZ TEXT',
  json: 'TEXT',
  blob: 'BLOB',
};

const READ_BACK: Record<string, ColumnType> = {
  INTEGER: 'integer',
  INT: 'integer',
  BIGINT: 'integer',
  REAL: 'real',
  DOUBLE: 'real',
  'DOUBLE PRECISION': 'real',
  FLOAT: 'real',
  BOOLEAN: 'boolean',
  'DATE TEXT': 'date',
  'TIMESTAMP TEXT': 'timestamp',
  'TIMESTAMPTZ TEXT': 'timestamptz',
  BLOB: 'blob',
};

/**
 * A declared column type as ferry's type. ferry's own read back as declared; another tool's by
 * the affinity SQLite gives them (its rules, in their order): a column of INTEGER, REAL or NUMERIC
 * affinity turns text that looks like a number into one (`00501` into 501), so such a column takes
 * only values of ferry's type that survive that, and any other is a reject. Dates, times and
 * booleans by another name (DATETIME, DATE, BOOL: NUMERIC affinity) stay text, as do TEXT,
 * VARCHAR(20), BLOB, ANY and no type at all.
 */
export function columnTypeOf(declared: string): ColumnType {
  const upper = declared.toUpperCase();
  const own = READ_BACK[upper];
  if (own !== undefined) return own;
  if (upper.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT|BLOB/.test(upper) || upper === '' || upper === 'ANY') return 'text';
  if (/REAL|FLOA|DOUB/.test(upper)) return 'real';
  return /DATE|TIME|BOOL/.test(upper) ? 'text' : 'numeric';
}

/** `(?, ?), (?, ?), …`: the parameters of `rows` rows of `width` values each. */
export function placeholders(rows: number, width: number): string {
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => tuple).join(', ');
}

/**
 * The upsert of `rows` rows: each inserts, or updates only where a value really differs (a
 * repeated append or an unchanged row changes nothing). No RETURNING: it slows a first run down much
 * (bench/RESULTS.md).
 */
export function upsertSql(name: string, spec: TableSpec, rows = 1): string {
  const cols = Object.keys(spec.columns);
  const values = spec.mode === 'append' ? [] : cols.filter((c) => !spec.primaryKey.includes(c));
  const insert = `INSERT INTO ${q(name)} (${cols.map(q).join(', ')}) VALUES ${placeholders(rows, cols.length)}`;
  const upsert = `${insert} ${onConflictUpdate(spec.primaryKey.map(q), values.map(q))}`;
  if (values.length === 0) return upsert;
  // One row-value comparison, not a chain of ORs: a chain of a thousand columns is deeper than SQLite parses.
  const changed = `(${values.map((c) => `${q(name)}.${q(c)}`).join(', ')}) IS NOT (${values.map((c) => `excluded.${q(c)}`).join(', ')})`;
  return `${upsert} WHERE ${changed}`;
}
