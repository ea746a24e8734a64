import { PermanentError } from '../../errors/errors.ts';
import { literal, q } from '../quote.ts';
import type { TableSpec } from '../tables.ts';
import type { Connection } from './connection.ts';

/**
 * A column that rounds what it is given, without an error: `numeric(p,s)` to its scale (1.234 in a
 * numeric(5,2) is 1.23) and `real` to a float4 (3.14159265 is 3.1415927). ferry makes neither, but
 * a DBA or an app's migrations do. The staging table takes such a column unrounded (`wide`), and a
 * batch with a value the column would change fails, naming it, before anything is written.
 */
export interface RoundingColumn {
  name: string;
  /** As the table declares it, e.g. `numeric(5,2)`. */
  type: string;
  /** The staging column's type: the same without the rounding. */
  wide: string;
}

/** The columns of `table` that ferry writes and that would round a value. */
export async function roundingColumns(conn: Connection, table: string, spec: TableSpec): Promise<RoundingColumn[]> {
  const rows = await conn.query<{ name: string; type: string; wide: string }>(
    'creating a table',
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       CASE WHEN a.atttypid = 'numeric'::regtype THEN 'numeric' ELSE 'double precision' END AS wide
     FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
       AND ((a.atttypid = 'numeric'::regtype AND a.atttypmod <> -1) OR a.atttypid = 'real'::regtype)`,
    [q(table)],
  );
  return rows.filter((c) => Object.hasOwn(spec.columns, c.name));
}

/** Widens the staging table's copies of the columns (inside the statements that make it). */
export function widenStaging(staging: string, columns: readonly RoundingColumn[]): string {
  return columns.map((c) => `ALTER TABLE ${staging} ALTER COLUMN ${q(c.name)} TYPE ${c.wide}`).join('; ');
}

/**
 * Fails when a staged value would be stored otherwise than given. A real is compared by the text
 * PostgreSQL shows for it (the shortest that reads back the same), so 0.1 fits and 3.14159265 does not.
 */
export async function checkRounding(
  conn: Connection,
  table: string,
  staging: string,
  columns: readonly RoundingColumn[],
): Promise<void> {
  if (columns.length === 0) return;
  const stored = (c: RoundingColumn) =>
    c.wide === 'numeric' ? `s.${q(c.name)}::${c.type}` : `s.${q(c.name)}::${c.type}::text::double precision`;
  const checks = columns.map(
    (c) =>
      `(SELECT ${literal(c.name)} AS name, ${literal(c.type)} AS type, s.${q(c.name)}::text AS given, (${stored(c)})::text AS kept ` +
      `FROM ${staging} AS s WHERE s.${q(c.name)} <> ${stored(c)} LIMIT 1)`,
  );
  const [found] = await conn.query<{ name: string; type: string; given: string; kept: string }>(
    'writing a batch',
    `SELECT * FROM (${checks.join(' UNION ALL ')}) AS found LIMIT 1`,
    [],
    true,
  );
  if (found === undefined) return;
  const message = `table ${table}: column ${found.name} is ${found.type}, which would store ${found.given} as ${found.kept}; ferry never rounds a value: widen the column (ALTER TABLE ${table} ALTER COLUMN ${q(found.name)} TYPE ${found.type.startsWith('numeric') ? 'numeric' : 'double precision'}), or round the values at the source`;
  throw new PermanentError(message, { code: 'PG_DATA' });
}
