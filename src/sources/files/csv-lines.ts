/**
 * Line numbers for CSV records, counted from the raw text csv-parse hands back with each record
 * (`raw: true`); its own `info.lines` counts a CRLF inside a quoted field as two lines. This
 * holds only with blank lines read as records (`skip_empty_lines: false`): skipped, they would
 * merge into the next record's raw text, where a CRLF's LF is missing.
 */
export interface CsvLines {
  /** The physical line where the record with this raw text starts. */
  start(raw: string): number;
}

export function csvLines(): CsvLines {
  let next = 1;
  return {
    start(raw) {
      const line = next;
      next += lineBreaks(raw);
      return line;
    },
  };
}

/** The record as written, without its line ending: '' for a blank line. */
export function recordText(raw: string): string {
  let end = raw.length;
  while (end > 0 && isBreak(raw.charCodeAt(end - 1))) end--;
  return raw.slice(0, end);
}

/** Line breaks in raw: CRLF, LF and a lone CR count once each. */
function lineBreaks(raw: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (raw.charCodeAt(i + 1) === LF) i++;
    }
  }
  return count;
}

function isBreak(c: number): boolean {
  return c === LF || c === CR;
}

const LF = 10;
const CR = 13;
