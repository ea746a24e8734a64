import { PermanentError } from '../../errors/errors.ts';

/** Checks the header row: every column needs a name of its own, or records would lose fields. */
export function checkHeader(file: string, names: string[]): string[] {
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name.trim() === '') {
      throw headerError(
        `${file}: column ${i + 1} of the header has no name: give every column a name in the first line`,
      );
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw headerError(
        `${file}: the header names ${JSON.stringify(name)} twice (columns ${first + 1} and ${i + 1}): give every column its own name`,
      );
    }
    seen.set(name, i);
  }
  return names;
}

/** Pairs a row's fields with the header's names. */
export function recordOf(names: string[], fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    // A plain assignment to "__proto__" would set the prototype instead of a field.
    if (names[i] === '__proto__')
      Object.defineProperty(record, '__proto__', {
        value: fields[i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else record[names[i] as string] = fields[i] as string;
  }
  return record;
}

function headerError(message: string): PermanentError {
  return new PermanentError(message, { code: 'CSV_HEADER_INVALID' });
}
