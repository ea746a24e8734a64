import type { ColumnType } from '../stores/tables.ts';
import { isExactNumber } from '../values/exact-json.ts';
import { Kind, kindOf } from './value-kinds.ts';

/** What {@link toColumnValue} returns for a value that does not fit its column's type. */
export const MISFIT: unique symbol = Symbol('misfit');

/** The kinds of value each type takes: never one it would have to round, cut or guess. */
const FITS: Partial<Record<ColumnType, number>> = {
  integer: Kind.integer | Kind.longInteger,
  // A REAL (double) holds 15 significant digits exactly; longer integers would be rounded.
  numeric: Kind.integer | Kind.decimal,
  real: Kind.integer | Kind.decimal,
  boolean: Kind.boolean,
  date: Kind.date,
  timestamp: Kind.date | Kind.timestamp,
  timestamptz: Kind.timestamptz,
};

/**
 * A value as a column of `type` stores it, or MISFIT. An empty value (null, undefined, `''`) is
 * NULL in a typed column and stays as it is in a text one. Numbers and dates written as text
 * stay text, exactly as written: each store reads them as its type (PostgreSQL keeps `12.50`).
 */
export function toColumnValue(value: unknown, type: ColumnType): unknown {
  if (type === 'text') return typeof value === 'string' || value == null ? value : asText(value);
  const fits = FITS[type];
  if (fits === undefined) return value; // json, blob: the store takes any value
  const kind = kindOf(value);
  if (kind === 0) return null;
  if ((kind & fits) === 0) return MISFIT;
  if (type === 'integer') return asInteger(value, kind);
  if (type === 'boolean')
    return typeof value === 'string' ? value.charCodeAt(0) === 116 || value.charCodeAt(0) === 84 : value;
  return value;
}

/** 15 digits or fewer are a plain number; longer, a bigint (64 bits, never rounded). */
function asInteger(value: unknown, kind: number): unknown {
  if (typeof value === 'string') return kind === Kind.integer ? Number(value) : BigInt(value);
  return isExactNumber(value) ? BigInt(value.rawJSON) : value;
}

/** A value of another kind in a text column: its JSON when it is an object, else its plain text. */
export function asText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
