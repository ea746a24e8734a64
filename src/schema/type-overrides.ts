import { ConfigError } from '../errors/errors.ts';
import type { ColumnType } from '../stores/tables.ts';

/** The types a column can be given by name: those a file's values can be read as. */
export const NAMED_TYPES: readonly ColumnType[] = [
  'text',
  'integer',
  'numeric',
  'real',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
];

/** Types given by hand: by column, and `*` for every other column. */
export interface TypeOverrides {
  /** A column's type by its name. */
  readonly columns: ReadonlyMap<string, ColumnType>;
  /** The type of every column not named (`*=text`), or undefined to infer them. */
  readonly others: ColumnType | undefined;
}

/**
 * Reads `col=type` entries (`--types amount=numeric,zip=text`; `*=text` for all the others). A
 * name may hold `=`: the type is after the last one. A bad entry is a ConfigError (64).
 */
export function parseTypeOverrides(entries: readonly string[], flag = '--types'): TypeOverrides {
  const columns = new Map<string, ColumnType>();
  let others: ColumnType | undefined;
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    const name = entry.slice(0, at);
    const type = entry.slice(at + 1) as ColumnType;
    if (at <= 0 || !NAMED_TYPES.includes(type)) {
      throw new ConfigError(
        `${flag} ${JSON.stringify(entry)}: write column=type, the type one of ${NAMED_TYPES.join(', ')} (e.g. ${flag} zip=text,amount=numeric; *=text for every other column)`,
      );
    }
    if (name === '*') others = type;
    else columns.set(name, type);
  }
  return { columns, others };
}
