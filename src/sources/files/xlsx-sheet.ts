import { isoDate } from './xlsx-dates.ts';
import type { NumberStyle } from './xlsx-styles.ts';
import { zeroPadded } from './xlsx-zero-pad.ts';
import type { SharedStrings } from './xlsx-shared-strings.ts';
import { StringItem, appendText, unescapeOoxml } from './xlsx-strings.ts';
import { attribute, readAttributes, type XmlHandler } from './xml-scanner.ts';

const CELL_ATTRIBUTES = ['r', 't', 's'] as const;

/** A cell's value as a record holds it. */
export type CellValue = string | number | boolean | null;

/** A cell that holds no value a record can take: an error (#N/A), a formula never computed… */
export class CellProblem {
  /** What the cell shows, for the reject's raw record: '#DIV/0!', the text that is not a number… */
  readonly shown: string | null;
  /** Why it is no value, completing "cell C5 …". */
  readonly reason: string;

  constructor(shown: string | null, reason: string) {
    this.shown = shown;
    this.reason = reason;
  }
}

/** One `<row>` of the sheet: its number as the spreadsheet shows it, and its cells by column (0 = A). */
export interface SheetRow {
  number: number;
  cells: (CellValue | CellProblem | undefined)[];
}

export interface SheetContext {
  strings: SharedStrings;
  /** How each cell style shows a number: a date kind, zero-padded groups (see xlsx-styles.ts). */
  numberStyles: readonly NumberStyle[];
  date1904: boolean;
  /** The error for a sheet that contradicts the rest of the package. */
  invalid: (what: string) => Error;
}

/**
 * Turns a worksheet part into rows, as its XML streams by: the handler for an XmlScanner, from
 * which the caller takes the rows completed so far after each piece. Cells are read the way
 * ECMA-376 part 1 (18.3.1.4) types them: shared strings (`s`), inline strings (`inlineStr`),
 * formula strings (`str`), booleans (`b`), errors (`e`), ISO dates (`d`), and numbers, which
 * are dates when their style's number format shows dates. A formula counts as its cached value.
 */
export class SheetRows implements XmlHandler {
  #done: SheetRow[] = [];
  #inData = false;
  #row: SheetRow | undefined;
  #rowNumber = 0;
  #column = -1;
  #type = 'n';
  #style = 0;
  #formula = false;
  #value: string | undefined;
  #inValue = false;
  #inline: StringItem | undefined;
  #hasInline = false;
  readonly #item = new StringItem();
  /** The row numbers read (1 MiB, a byte a row Excel can have): a number read twice would give two rows one id. */
  readonly #seen = new Uint8Array(MAX_ROWS + 1);
  readonly #attributes: (string | undefined)[] = [undefined, undefined, undefined];
  readonly #context: SheetContext;

  constructor(context: SheetContext) {
    this.#context = context;
  }

  /** The rows completed since the last call. */
  take(): SheetRow[] {
    const rows = this.#done;
    this.#done = [];
    return rows;
  }

  get wantsText(): boolean {
    return this.#inValue || (this.#inline !== undefined && this.#inline.wantsText);
  }

  open(name: string, attributes: string): void {
    if (name === 'c') return this.#openCell(attributes);
    if (name === 'v') {
      this.#inValue = true;
      this.#value = '';
    } else if (name === 'f') this.#formula = true;
    else if (name === 'is') {
      this.#inline = this.#item;
      this.#hasInline = true;
      this.#item.start();
    } else if (this.#inline !== undefined) this.#inline.open(name);
    else if (name === 'row' && this.#inData) {
      const r = attribute(attributes, 'r');
      this.#rowNumber = r === undefined ? this.#rowNumber + 1 : Number(r);
      if (!(Number.isInteger(this.#rowNumber) && this.#rowNumber > 0 && this.#rowNumber <= MAX_ROWS))
        throw this.#context.invalid(`a row is numbered ${JSON.stringify(r)}`);
      this.#checkNew(this.#rowNumber);
      this.#row = { number: this.#rowNumber, cells: [] };
      this.#column = -1;
    } else if (name === 'sheetData') this.#inData = true;
  }

  close(name: string): void {
    if (name === 'v') this.#inValue = false;
    else if (name === 'c') this.#closeCell();
    else if (name === 'is') this.#inline = undefined;
    else if (this.#inline !== undefined) this.#inline.close(name);
    else if (name === 'row' && this.#row !== undefined) {
      this.#done.push(this.#row);
      this.#row = undefined;
    } else if (name === 'sheetData') this.#inData = false;
  }

  text(text: string): void {
    if (this.#inValue) this.#value = appendText(this.#value ?? '', text);
    else this.#inline?.text(text);
  }

  #openCell(attributes: string): void {
    readAttributes(attributes, CELL_ATTRIBUTES, this.#attributes);
    const [ref, type, style] = this.#attributes;
    this.#column = ref === undefined ? this.#column + 1 : columnIndex(ref);
    if (this.#column < 0 || this.#column >= MAX_COLUMNS)
      throw this.#context.invalid(`a cell in row ${this.#rowNumber} is named ${JSON.stringify(ref)}`);
    this.#type = type ?? 'n';
    this.#style = style === undefined ? 0 : Number(style);
    this.#formula = false;
    this.#value = undefined;
    this.#hasInline = false;
  }

  #closeCell(): void {
    if (this.#row === undefined || this.#column < 0) return;
    // Two values for one cell: one of them would be lost without a word.
    if (this.#row.cells[this.#column] !== undefined)
      throw this.#context.invalid(`cell ${columnName(this.#column)}${this.#row.number} comes twice`);
    this.#row.cells[this.#column] = this.#cellValue();
  }

  /**
   * Rows come in ascending order from Excel, and are read in any order; a number that comes twice
   * (rows counted without r=, then one with it) would make two rows one, as their ids are their numbers.
   */
  #checkNew(row: number): void {
    if (this.#seen[row] === 1) throw this.#context.invalid(`row ${row} comes twice`);
    this.#seen[row] = 1;
  }

  #cellValue(): CellValue | CellProblem {
    const v = this.#value;
    switch (this.#type) {
      case 's':
        return v === undefined || v === '' ? null : this.#shared(v);
      case 'inlineStr':
        // Some writers put an inline string's text in <v>: it is the text all the same.
        if (this.#hasInline) return this.#item.value();
        return v === undefined || v === '' ? this.#empty() : unescapeOoxml(v);
      case 'str':
        return v ?? (this.#formula ? noResult() : null);
      case 'b':
        if (v === '1' || v === '0') return v === '1';
        return v === undefined || v === ''
          ? this.#empty()
          : new CellProblem(v, `holds ${JSON.stringify(v)}, not a boolean`);
      case 'e':
        return new CellProblem(v ?? null, `holds the error ${v ?? '(none named)'}`);
      case 'd':
        return v === undefined || v === '' ? this.#empty() : v;
      default:
        if (v === undefined && this.#hasInline) return this.#item.value(); // an <is> without t="inlineStr"
        return v === undefined || v === '' ? this.#empty() : this.#number(v);
    }
  }

  #empty(): CellValue | CellProblem {
    return this.#formula ? noResult() : null;
  }

  #shared(v: string): string {
    const text = this.#context.strings.get(Number(v));
    if (text === undefined) {
      const count = this.#context.strings.count;
      throw this.#context.invalid(
        `a cell in row ${this.#rowNumber} refers to shared string ${v}, and there are ${count}`,
      );
    }
    return text;
  }

  #number(v: string): CellValue | CellProblem {
    const n = Number(v);
    if (!Number.isFinite(n) || v.trim() === '') return new CellProblem(v, `holds ${JSON.stringify(v)}, not a number`);
    const kind = this.#context.numberStyles[this.#style];
    if (kind === undefined) return n;
    if (typeof kind !== 'string') return zeroPadded(n, kind) ?? n; // a zip code: 02134, as shown
    const date = isoDate(n, kind, this.#context.date1904);
    return 'iso' in date ? date.iso : new CellProblem(v, `holds a date that cannot be read: ${date.reason}`);
  }
}

/** The sheet's limits in Excel (1,048,576 rows, columns A to XFD): beyond them a file is broken. */
const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;

function noResult(): CellProblem {
  return new CellProblem(
    null,
    'holds a formula with no saved result (the program that wrote the file did not compute it): open the workbook in a spreadsheet program and save it, so every formula has its value',
  );
}

/** "C5" → 2; "AB12" → 27. */
export function columnIndex(ref: string): number {
  let index = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 0x61 || c > 0x7a) break;
    index = index * 26 + (c - 0x60);
  }
  return index - 1;
}

/** 2 → "C"; 27 → "AB". */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(0x41 + ((n - 1) % 26)) + name;
  return name;
}
