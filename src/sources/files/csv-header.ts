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
export function recordOf<T>(names: string[], fields: T[]): Record<string, T> {
  const record: Record<string, T> = {};
  for (let i = 0; i < names.length; i++) setField(record, names[i] as string, fields[i] as T);
  return record;
}

function headerError(message: string, place: HeaderPlace): PermanentError {
  return new PermanentError(message, { code: place.code });
}
