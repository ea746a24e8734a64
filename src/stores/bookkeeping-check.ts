import { PermanentError } from '../errors/errors.ts';

/** Each table a dialect's bookkeeping SQL creates, with the columns it is made with. */
export type BookkeepingColumns = readonly (readonly [table: string, columns: readonly string[]])[];

/** Reads the tables and their columns from `CREATE TABLE IF NOT EXISTS name (\n  column TYPE …,\n …\n);` statements. */
export function bookkeepingColumns(sql: string): BookkeepingColumns {
  return [...sql.matchAll(/CREATE TABLE IF NOT EXISTS (\w+) \(([^;]*)\n\);/g)].map(([, table, body]) => [
    table as string,
    (body as string).split(',\n').map((line) => line.trim().split(' ')[0] as string),
  ]);
}

/**
 * Throws when a table named like one of ferry's is not ferry's (another program's, or altered by
 * hand): every statement on it would fail with a bare SQL error, exit 1. `has` gives a table's
 * columns (none: no such table). With `complete` (reading the history) every table must be there;
 * otherwise a missing one is for the bookkeeping SQL to create. `addedLater`: `table.column`s
 * that an older ferry's tables lack and the dialect adds.
 */
export function checkBookkeeping(
  where: string,
  expected: BookkeepingColumns,
  has: (table: string) => readonly string[],
  options: { complete: boolean; addedLater?: ReadonlySet<string> },
): void {
  for (const [table, columns] of expected) {
    const present = has(table);
    if (present.length === 0 && !options.complete) continue;
    const missing = columns.filter((c) => !present.includes(c) && !options.addedLater?.has(`${table}.${c}`));
    if (missing.length === 0) continue;
    const what = present.length === 0 ? 'is missing' : `lacks the columns ${missing.join(', ')}`;
    throw new PermanentError(
      `${where}: ferry's table ${table} ${what}, so this is not a history ferry wrote: another program has a table of that name there, or it was altered by hand; point the job at a database of its own, or move that table aside`,
      { code: 'HISTORY_INVALID' },
    );
  }
}
