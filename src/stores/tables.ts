import { PermanentError } from '../errors/errors.ts';
import { isExactNumber, type ExactNumber } from '../values/exact-json.ts';
import { inherited, ownField } from '../values/own-field.ts';

/**
 * A column's type: the same in every store. `numeric` is an exact decimal in PostgreSQL (REAL in
 * SQLite), `real` a double; `date`, `timestamp` (no zone) and `timestamptz` are ISO 8601 text in
 * SQLite; `json` is text in both.
 */
export type ColumnType =
  'text' | 'integer' | 'real' | 'numeric' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'json' | 'blob';
/** How rows reach a table; see {@link TableSpec.mode}. */
export type WriteMode = 'upsert' | 'append' | 'replace';

/** A table a job writes; ferry creates it and adds columns when the declaration grows. */
export interface TableSpec {
  /** Column names and types; a new column on a later run is added (nullable), none is dropped. */
  columns: Record<string, ColumnType>;
  /** The natural key: upsert by it, dedup appends by it. Its columns are NOT NULL. */
  primaryKey: readonly string[];
  /** upsert (default): insert or update changed rows. append: insert once, repeats ignored.
   *  replace: rows come through ctx.replace(table, scope, rows); those gone from the scope are deleted. */
  mode?: WriteMode;
  /** For replace: the columns whose values name a scope (one file, one account). */
  scope?: readonly string[];
}

/** A job's tables by name (letters, digits and `_`). */
export type TablesSchema = Record<string, TableSpec>;
/** A row to write: column name to value (string, number, boolean, null, bytes, or any JSON for `json`). */
export type Row = Record<string, unknown>;
export type SqlValue = string | number | bigint | null | Uint8Array;

/** The rule a table name follows in every store: it is written into SQL and file names alike. */
export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks what every store needs of a declaration. A declaration may come from the data (a CSV
 * header, a --table flag), so a bad one is a PermanentError (65) that names the table and the fix.
 */
export function validateTables(tables: TablesSchema): void {
  for (const [name, spec] of Object.entries(tables)) {
    if (!TABLE_NAME.test(name) || name.toLowerCase().startsWith('_ferry')) {
      const rule = 'use letters, digits and _ (not first a digit), not starting with _ferry';
      throw tableError(`table name ${JSON.stringify(name)}: ${rule}`);
    }
    const cols = Object.keys(spec.columns);
    const unnamed = cols.find((c) => c === '' || c.includes('\0') || !c.isWellFormed());
    if (unnamed !== undefined) {
      const what =
        unnamed === ''
          ? 'is empty'
          : unnamed.includes('\0')
            ? 'contains a NUL character'
            : 'holds half of a UTF-16 surrogate pair';
      // An empty name is a syntax error, a NUL breaks the statement off (PostgreSQL takes that for a
      // lost connection), and half a surrogate pair would be U+FFFD: a column named unlike the field.
      const message = `table ${name}: the column name ${JSON.stringify(unnamed)} ${what}, which no database takes; rename the column in the file's header (or the records' field)`;
      throw new PermanentError(message, { code: 'COLUMN_NAME_INVALID' });
    }
    if (spec.primaryKey.length === 0) throw tableError(`table ${name}: declare a primaryKey`);
    const twice = spec.primaryKey.find((c, i) => spec.primaryKey.indexOf(c) !== i);
    if (twice !== undefined) throw tableError(`table ${name}: the primaryKey names ${twice} twice`);
    for (const c of [...spec.primaryKey, ...(spec.scope ?? [])]) {
      if (!cols.includes(c)) throw tableError(`table ${name}: key or scope column ${c} is not among its columns`);
    }
    if ((spec.mode === 'replace') !== (spec.scope !== undefined && spec.scope.length > 0)) {
      throw tableError(`table ${name}: mode replace goes with a scope, and a scope with mode replace`);
    }
  }
}

function tableError(message: string): PermanentError {
  return new PermanentError(message, { code: 'TABLE_INVALID' });
}

/**
 * A record's values in column order, converted for the database: a new array, or written into
 * `into` from `at` (many rows' parameters for one statement, without an array per row).
 */
export function toParams(table: string, spec: TableSpec, row: Row, into?: SqlValue[], at = 0): SqlValue[] {
  let convert = converters.get(spec);
  if (!convert) converters.set(spec, (convert = paramsOf(spec)));
  return convert(table, row, into ?? new Array<SqlValue>(Object.keys(spec.columns).length), at);
}

type Converter = (table: string, row: Row, into: SqlValue[], at: number) => SqlValue[];
const converters = new WeakMap<TableSpec, Converter>();

/** The per-row work of toParams with everything about the table worked out once: it runs for every row. */
function paramsOf(spec: TableSpec): Converter {
  const columns = Object.keys(spec.columns);
  const types = Object.values(spec.columns);
  const isKey = columns.map((c) => spec.primaryKey.includes(c));
  const own = columns.map(inherited);
  return (table, row, params, at) => {
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as string;
      const value = toSql(own[i] ? ownField(row, column) : row[column], types[i] as ColumnType);
      if (value === null && isKey[i]) throw keyMissing(table, columns[i], row);
      params[at + i] = value;
    }
    return params;
  };
}

export function toSql(value: unknown, type: ColumnType): SqlValue {
  if (type === 'text' && typeof value === 'string') return value; // the common case, first
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && isExactNumber(value)) return exactToSql(value, type);
  switch (type) {
    case 'json':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 1 : 0;
    case 'text':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' || typeof value === 'bigint' ? value : integerOf(String(value));
    case 'real':
    case 'numeric':
      return typeof value === 'number' || typeof value === 'bigint' ? value : Number(value);
    case 'blob':
      return value instanceof Uint8Array ? value : Buffer.from(String(value));
  }
}

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** Integer text as a number when a double holds it, else as a bigint: never rounded. */
function integerOf(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) || !/^-?\d+$/.test(text) ? n : BigInt(text);
}

/** A number a double cannot hold: an integer column takes it as a bigint if it fits 64 bits, a text column as written. */
function exactToSql(value: ExactNumber, type: ColumnType): SqlValue {
  const text = value.rawJSON;
  switch (type) {
    case 'integer': {
      const n = /^-?\d+$/.test(text) ? BigInt(text) : undefined;
      if (n !== undefined && n >= INT64.min && n <= INT64.max) return n;
      const message = `${text} does not fit a 64-bit integer column: declare the column text to keep it exactly`;
      throw new PermanentError(message, { code: 'VALUE_OUT_OF_RANGE' });
    }
    case 'real':
    case 'numeric':
      return Number(text);
    case 'boolean':
      return Number(text) === 0 ? 0 : 1;
    case 'blob':
      return Buffer.from(text);
    default:
      return text; // text and json: JSON.stringify writes it as this text too
  }
}

/** A row without a value for a key column: bad data (65), whichever store writes it. */
export function keyMissing(table: string, column: string | undefined, row: Row): PermanentError {
  return new PermanentError(`table ${table}: key column ${column} is empty in ${preview(row)}`, {
    code: 'KEY_MISSING',
  });
}

/** A row, short, for a message. */
function preview(row: Row): string {
  const text = JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
