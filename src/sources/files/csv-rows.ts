import Papa from 'papaparse';
import { PermanentError } from '../../errors/errors.ts';
import type { SourceItem } from '../source-item.ts';
import { checkHeader, recordMaker } from './csv-header.ts';
import { HeldText } from './held-text.ts';
import { formatBytes } from './record-limit.ts';

type CsvItem = SourceItem<Record<string, string>>;

interface PapaStep {
  data: string[][];
  errors: { code: string }[];
  meta: { cursor: number };
}

/**
 * Turns CSV text, a read at a time, into items: PapaParse's core parser (RFC 4180: quotes, quoted
 * delimiters and line breaks, escaped quotes) over the rows a read completes, the rest held for
 * the next. Papa splits rows at one line ending: `\r` when the file's first line ends in a lone
 * CR, else `\n`, and a CRLF ending's CR, left on the row's last field, is taken off where the row
 * as written shows it outside quotes. So LF, CRLF and a mix read alike, values exactly as written.
 */
export class CsvRows {
  readonly #file: string;
  /** The delimiter given; undefined: the file shows it. */
  readonly #delimiter: string | undefined;
  /** The delimiter in effect, once the parser started. */
  #used = ',';
  readonly #maxRecordBytes: number;
  readonly #onHeader: ((names: readonly string[]) => void) | undefined;
  #parser: Papa.Parser | undefined;
  /** The row the last read ended inside; reads without a line break cannot end it, and wait unparsed. */
  readonly #rest = new HeldText();
  #header: string[] | undefined;
  #record: (fields: readonly string[]) => Record<string, string> = () => ({});
  #row = 0;
  #line = 1;
  #failure: PermanentError | undefined;
  // The rows of the text being parsed, with where each ends in it.
  #rows: string[][] = [];
  #ends: number[] = [];

  constructor(
    file: string,
    options: {
      /** Undefined: an Excel `sep=` line's, else the one the header line shows (see delimiterOf). */
      delimiter: string | undefined;
      maxRecordBytes: number;
      onHeader: ((names: readonly string[]) => void) | undefined;
    },
  ) {
    this.#file = file;
    this.#delimiter = options.delimiter;
    this.#maxRecordBytes = options.maxRecordBytes;
    this.#onHeader = options.onHeader;
  }

  /** The items of the rows this text completes (up to broken quoting: see throwIfBroken). */
  push(text: string): CsvItem[] {
    if (this.#rest.length > 0 && !text.includes('\n') && !text.includes('\r')) {
      this.#rest.add(text);
      this.#checkLength(this.#rest.length, 0);
      return [];
    }
    return this.#parse(this.#rest.take() + text, true);
  }

  /** The items of what is left at the end of the file. */
  end(): CsvItem[] {
    const rest = this.#rest.take();
    return rest === '' ? [] : this.#parse(rest, false);
  }

  /** Throws once the row being read (after `rowsBefore` rows of this read) is longer than the limit. */
  #checkLength(length: number, rowsBefore: number): void {
    if (length <= this.#maxRecordBytes) return;
    const message = `${this.#file}: row ${this.#row + rowsBefore + 1} is longer than ${formatBytes(this.#maxRecordBytes)}: most likely a quote that is never closed`;
    throw new PermanentError(message, { code: 'CSV_INVALID' });
  }

  /** After the items before it are handed on: throws at the broken quoting the last read found. */
  throwIfBroken(): void {
    if (this.#failure) throw this.#failure;
  }

  #parse(whole: string, more: boolean): CsvItem[] {
    const started = this.#parser ? { parser: this.#parser, text: whole } : this.#start(whole, more);
    if (started === undefined) {
      this.#rest.set(whole); // no line ending yet: the first one decides how lines end
      return [];
    }
    const { parser, text } = started;
    this.#rows = [];
    this.#ends = [];
    const { meta } = parser.parse(text, 0, more) as PapaStep;
    this.#rest.set(more ? text.slice(meta.cursor) : '');
    this.#checkLength(this.#rest.length, this.#rows.length);
    return this.#items(text);
  }

  /**
   * Starts the parser once the first line is whole, and returns it with the text it reads. The first line
   * break decides how lines end: a lone CR, or LF (CRLF included). Excel's `sep=;` line names the
   * delimiter and is no row; without it, and without a delimiter given, the header line shows it.
   */
  #start(text: string, more: boolean): { parser: Papa.Parser; text: string } | undefined {
    const first = lineEnd(text, 0);
    if (more && (first === -1 || first === text.length - 1)) return undefined; // a CR last: is an LF next?
    const newline = text[first] === '\r' && text[first + 1] !== '\n' ? '\r' : '\n';
    const sep = /^sep=([^"\r\n])$/i.exec(text.slice(0, first === -1 ? text.length : first))?.[1];
    const rest = sep === undefined ? text : text.slice(afterBreak(text, first));
    const header = lineEnd(rest, 0);
    if (sep !== undefined && more && (header === -1 || header === rest.length - 1)) return undefined;
    if (sep !== undefined) this.#line++;
    this.#used = this.#delimiter ?? sep ?? delimiterOf(rest.slice(0, header === -1 ? rest.length : header));
    const step = (result: PapaStep) => this.#step(result);
    this.#parser = new Papa.Parser({ delimiter: this.#used, newline, quoteChar: '"', step });
    return { parser: this.#parser, text: rest };
  }

  #step({ data, errors, meta }: PapaStep): void {
    if (errors.length > 0 && !this.#failure) this.#failure = this.#quoteError(errors[0]?.code ?? '', this.#rows.length);
    if (this.#failure) return;
    this.#rows.push(data[0] ?? []);
    this.#ends.push(meta.cursor);
  }

  #items(text: string): CsvItem[] {
    const items: CsvItem[] = [];
    const breaks = new LineBreaks(text);
    let start = 0;
    for (let i = 0; i < this.#rows.length; i++) {
      const fields = this.#rows[i] as string[];
      const end = this.#ends[i] as number;
      const rowStart = start;
      const raw = () => text.slice(rowStart, end); // only for the rare row that needs it
      start = end;
      if ((fields[fields.length - 1] as string).endsWith('\r')) dropCr(fields, raw(), this.#used);
      const line = this.#line;
      this.#line += breaks.single(rowStart, end) ? 1 : breaksIn(raw());
      if (fields.length === 1 && fields[0] === '') continue; // a blank line
      if (this.#header === undefined) {
        this.#header = checkHeader(this.#file, fields);
        this.#record = recordMaker(this.#header);
        this.#onHeader?.(this.#header);
        continue;
      }
      const position = { source: this.#file, row: ++this.#row, line };
      const reason =
        fields.length !== this.#header.length
          ? `row ${this.#row} has ${fields.length} fields, the header has ${this.#header.length}`
          : repeats(fields, this.#header)
            ? `row ${this.#row} repeats the header line (files joined together?): it holds no record`
            : undefined;
      if (reason === undefined) items.push({ ok: true, record: this.#record(fields), position });
      else items.push({ ok: false, raw: withoutBreak(raw()), reason, position });
    }
    return items;
  }

  #quoteError(code: string, rowsBefore: number): PermanentError {
    const where =
      this.#header === undefined && rowsBefore === 0
        ? 'in the header'
        : `at row ${this.#row + rowsBefore + (this.#header ? 1 : 0)}`;
    const what = code === 'MissingQuotes' ? 'Quote Not Closed' : 'Invalid Closing Quote';
    const fix = ' (inside a quoted field a quote is written twice: "")';
    return new PermanentError(`${this.#file}: not valid CSV ${where}: ${what}${fix}`, { code: 'CSV_INVALID' });
  }
}

/**
 * Whether a row holds the header's names, each in its place: a second export's header, after
 * `cat a.csv b.csv`, with the byte-order mark that starts a file Excel saves as CSV UTF-8.
 */
function repeats(fields: string[], header: string[]): boolean {
  const first = fields[0] as string;
  if (first !== header[0] && !(first.startsWith('\uFEFF') && first.slice(1) === header[0])) return false;
  return fields.every((field, i) => i === 0 || field === header[i]);
}

/**
 * Split at LF, a row that ended in CRLF keeps the CR on its last field when that field was not
 * quoted: then the row as written is the fields before it, a delimiter, the field's own text (no
 * quote first) and the LF. A quoted field ending in a CR of its own keeps it.
 */
function dropCr(fields: string[], raw: string, delimiter: string): void {
  const last = fields.length - 1;
  const value = fields[last] as string;
  if (!value.endsWith('\r') || value.startsWith('"') || !raw.endsWith(`${value}\n`)) return;
  const before = raw.length - value.length - 1;
  const alone = last === 0 && before === 0;
  if (alone || raw.slice(before - delimiter.length, before) === delimiter) fields[last] = value.slice(0, -1);
}

/**
 * Where the line breaks of a text are, looked up in order: whether a row is one line (no CR in it,
 * no LF but maybe its last character) costs no copy of it, and the whole text is scanned once.
 */
class LineBreaks {
  readonly #text: string;
  #lf = -1;
  #cr = -1;

  constructor(text: string) {
    this.#text = text;
  }

  single(start: number, end: number): boolean {
    if (this.#lf !== -2 && this.#lf < start) this.#lf = this.#next('\n', start);
    if (this.#cr !== -2 && this.#cr < start) this.#cr = this.#next('\r', start);
    return (this.#cr === -2 || this.#cr >= end) && (this.#lf === -2 || this.#lf >= end - 1);
  }

  /** The next index of `c` from `start`, or -2 when there is none left. */
  #next(c: string, start: number): number {
    const at = this.#text.indexOf(c, start);
    return at === -1 ? -2 : at;
  }
}

/** Physical lines a row spans: CRLF, LF and a lone CR end one each; a last line without one counts too. */
function breaksIn(raw: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (raw.charCodeAt(i + 1) === LF) i++;
    }
  }
  const last = raw.charCodeAt(raw.length - 1);
  return last === LF || last === CR ? count : count + 1;
}

/** The row as written, without its line ending. */
function withoutBreak(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === LF || raw.charCodeAt(end - 1) === CR)) end--;
  return raw.slice(0, end);
}

const LF = 10;
const CR = 13;

/** Where the line that starts at `from` ends (its CR or LF), or -1. */
function lineEnd(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  return lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
}

/** Where the line after the break at `at` starts. */
function afterBreak(text: string, at: number): number {
  if (at === -1) return text.length;
  return text[at] === '\r' && text[at + 1] === '\n' ? at + 2 : at + 1;
}

/** Delimiters a header line may show, the first winning a tie: Excel writes `;` where `,` is the decimal mark. */
const CANDIDATES = [',', ';', '\t', '|'];

/**
 * `,` when the header line has one outside quotes; else the candidate it has most of (`;` from
 * Excel, a tab, `|`), or `,` when it has none: names may well hold a `|` or `;` beside commas.
 */
function delimiterOf(line: string): string {
  const counts = CANDIDATES.map(() => 0);
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted) {
      const i = CANDIDATES.indexOf(c);
      if (i !== -1) counts[i] = (counts[i] ?? 0) + 1;
    }
  }
  if ((counts[0] ?? 0) > 0) return ',';
  const most = Math.max(...counts);
  return CANDIDATES[counts.indexOf(most)] ?? ',';
}
