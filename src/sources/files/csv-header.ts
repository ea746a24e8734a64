import { PermanentError } from '../../errors/errors.ts';
import { setField } from '../../values/own-field.ts';

/** How header messages name a file's columns and its header: CSV counts columns, a sheet letters them. */
export interface HeaderPlace {
  /** Where the header is, e.g. 'the first line'. */
  where: string;
  /** A column's name in a message, from its 0-based index: '3', 'C'. */
  column: (index: number) => string;
  /** The error's code. */
  code: string;
}

const CSV_HEADER: HeaderPlace = { where: 'the first line', column: (i) => String(i + 1), code: 'CSV_HEADER_INVALID' };

/** Checks the header row: every column needs a name of its own, or records would lose fields. */
export function checkHeader(file: string, names: string[], place: HeaderPlace = CSV_HEADER): string[] {
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name.trim() === '') {
      throw headerError(
        `${file}: column ${place.column(i)} of the header has no name: give every column a name in ${place.where}`,
        place,
      );
    }
    if (name === '\\N') {
      // psql's \copy and MySQL's SELECT … INTO OUTFILE write no header unless asked: a NULL in the
      // first line shows it is a row, which would be taken for the header and lost.
      const what = `column ${place.column(i)} of the header is \\N, the NULL of PostgreSQL's and MySQL's dumps`;
      const fix = "export it with a header (psql: \\copy … TO 'file' WITH (FORMAT csv, HEADER))";
      throw headerError(
        `${file}: ${what}: the file has no header line, and its first row would be lost as one; ${fix}`,
        place,
      );
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw headerError(
        `${file}: the header names ${JSON.stringify(name)} twice (columns ${place.column(first)} and ${place.column(i)}): give every column its own name`,
        place,
      );
    }
    seen.set(name, i);
  }
  return names;
}

/** Pairs a row's fields with the header's names. */
export function recordOf<T>(names: readonly string[], fields: readonly T[]): Record<string, T> {
  const record: Record<string, T> = {};
  for (let i = 0; i < names.length; i++) setField(record, names[i] as string, fields[i] as T);
  return record;
}

// Past this many columns a generated object literal is no faster than filling the record in turn.
const LITERAL_COLUMNS = 512;

/**
 * recordOf for one header, for every row of a file: an object literal of the header's names,
 * made once, builds each record in one step, with the shape all its rows share, where adding the
 * fields one by one walks the shape's transitions for every row (bench/RESULTS.md, shipped-jobs).
 * The names are the file's: each is written as a JSON string, and `__proto__` as a computed key,
 * so it stays an own field. Where code may not be generated (--disallow-code-generation-from-strings),
 * rows are paired as recordOf does.
 */
export function recordMaker<T>(names: readonly string[]): (fields: readonly T[]) => Record<string, T> {
  const slow = (fields: readonly T[]) => recordOf(names, fields);
  if (names.length > LITERAL_COLUMNS) return slow;
  const key = (name: string) => (name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name));
  try {
    return new Function('f', `return {${names.map((n, i) => `${key(n)}: f[${i}]`).join(', ')}};`) as (
      fields: readonly T[],
    ) => Record<string, T>;
  } catch {
    return slow;
  }
}

function headerError(message: string, place: HeaderPlace): PermanentError {
  return new PermanentError(message, { code: place.code });
}
