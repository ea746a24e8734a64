import { PermanentError } from '../../errors/errors.ts';
import type { TableSpec } from '../tables.ts';

// Every table has these already; a column of the same name fails CREATE TABLE (42701).
const SYSTEM_COLUMNS = ['xmin', 'xmax', 'cmin', 'cmax', 'ctid', 'tableoid'];
const RENAME = "rename the column in the file's header (or the records' field)";

/**
 * Refuses, before any DDL, a table or column name PostgreSQL would refuse or change, naming it
 * and what to rename: a column comes from a file's header or a record's field, so the fix is there.
 */
export function checkNames(table: string, spec: TableSpec): void {
  for (const identifier of [table, ...Object.keys(spec.columns)]) {
    // PostgreSQL would cut it silently, and the next run would look for the whole name.
    if (Buffer.byteLength(identifier) <= 63) continue;
    const message = `table ${table}: the name ${JSON.stringify(identifier)} is longer than PostgreSQL's 63 bytes; shorten it`;
    throw new PermanentError(message, { code: 'PG_NAME_TOO_LONG' });
  }
  const reserved = Object.keys(spec.columns).find((c) => SYSTEM_COLUMNS.includes(c));
  if (reserved === undefined) return;
  const others = SYSTEM_COLUMNS.filter((c) => c !== reserved).join(', ');
  const message = `table ${table}: the column name ${JSON.stringify(reserved)} is reserved by PostgreSQL (a system column, as are ${others}); ${RENAME}`;
  throw new PermanentError(message, { code: 'COLUMN_NAME_RESERVED' });
}
