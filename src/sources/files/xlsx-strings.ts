import { MAX_TOKEN, XmlError } from './xml-scanner.ts';

/**
 * Collects the text of a string item, the shape shared strings (`<si>`) and inline strings
 * (`<is>`) share: plain `<t>`, or rich-text runs `<r><t>` flattened to their text. Phonetic
 * guides (`<rPh>`, Japanese readings) are not part of the value and are left out.
 */
export class StringItem {
  #text = '';
  #inText = false;
  #phonetic = 0;

  get wantsText(): boolean {
    return this.#inText;
  }

  start(): void {
    this.#text = '';
  }

  /** An element inside the item starts: text counts inside `<t>`, unless in a phonetic guide. */
  open(name: string): void {
    if (name === 'rPh') this.#phonetic++;
    else if (name === 't' && this.#phonetic === 0) this.#inText = true;
  }

  close(name: string): void {
    if (name === 'rPh') this.#phonetic--;
    else if (name === 't') this.#inText = false;
  }

  text(text: string): void {
    this.#text = appendText(this.#text, text);
  }

  /** The item's value, its `_xHHHH_` escapes undone. */
  value(): string {
    return unescapeOoxml(this.#text);
  }
}

/** Text of one value, pieced together (CDATA, comments between), within the scanner's limit. */
export function appendText(text: string, more: string): string {
  if (text.length + more.length > MAX_TOKEN) throw new XmlError(`a value is longer than ${MAX_TOKEN} characters`);
  return text + more;
}

/**
 * SpreadsheetML writes a character XML cannot carry (a control character, a lone CR) as
 * `_xHHHH_`, and a literal `_x` that would read as one as `_x005F_x…` (ECMA-376 part 1, 22.9.2.19).
 */
export function unescapeOoxml(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
