/**
 * A small streaming XML scanner for the parts of an XLSX workbook. A general SAX parser (saxes,
 * measured) builds an attribute object for every element and an event for every piece of
 * whitespace; a sheet of a million rows has tens of millions of both, and that was most of the
 * run time. This one hands the handler an element's raw attribute text, which it reads only
 * where it needs it ({@link readAttributes}), and text only while the handler asks for it.
 *
 * It reads well-formed XML as a parser would: comments, processing instructions and CDATA
 * sections, the five predefined entities and character references, line ends normalised.
 * It does not validate: a part that is not well-formed ends the read with an {@link XmlError}
 * where the scanner notices (a tag cut short, an unknown entity, a document that ends inside an
 * element), and a DOCTYPE is refused, as no spreadsheet writes one and it could declare entities.
 */

import { HeldText } from './held-text.ts';

/** What the scanner reports. Names are local names: a prefix such as `x:` is dropped. */
export interface XmlHandler {
  /** An element starts; `attributes` is the raw text between its name and its end. */
  open(name: string, attributes: string): void;
  /** An element ends (right after `open` for an empty element `<a/>`). */
  close(name: string): void;
  /** Character data, decoded; only reported while `wantsText` is true. */
  text(text: string): void;
  /** Whether the handler wants the text at this point: the scanner skips it otherwise. */
  readonly wantsText: boolean;
}

/** The XML is not well-formed. */
export class XmlError extends Error {}

/** The longest single token (a tag, a run of text) the scanner holds: longer means a broken part. */
export const MAX_TOKEN = 64 * 1024 * 1024;

export class XmlScanner {
  /** The token the last piece ended inside; pieces that cannot end it wait unscanned. */
  readonly #rest = new HeldText();
  /** What ends the token #rest starts: `<` for text, `-->`, `]]>`, `?>`, `>`, or '' for a tag (a `>` outside quotes). */
  #ender = '';
  /** In a tag: the quote open at the end of what was seen. */
  #quote = 0;
  /** The last characters seen, so that an ender split between two pieces is found. */
  #tail = '';
  #depth = 0;
  #started = false;
  readonly #handler: XmlHandler;

  constructor(handler: XmlHandler) {
    this.#handler = handler;
  }

  /** Scans the next piece of the document; a token cut at the end waits for the next piece. */
  write(chunk: string): void {
    if (this.#rest.length > 0 && !this.#ends(chunk)) {
      this.#rest.add(chunk);
      this.#checkLength(this.#rest.length);
      return;
    }
    const s = this.#rest.length === 0 ? chunk : this.#rest.take() + chunk;
    const done = this.#scan(s);
    this.#rest.set(done === s.length ? '' : s.slice(done));
    this.#checkLength(this.#rest.length);
    if (this.#rest.length > 0) this.#expect(this.#rest.start);
  }

  /** Notes what ends the unfinished token `rest` starts, and where the search for it stands. */
  #expect(rest: string): void {
    this.#quote = 0;
    if (rest.charCodeAt(0) !== LT) this.#ender = '<';
    else if (rest.startsWith('<!--')) this.#ender = '-->';
    else if (rest.startsWith('<![CDATA[')) this.#ender = ']]>';
    else if (rest.startsWith('<?')) this.#ender = '?>';
    else if (rest.length < 9 || rest.charCodeAt(1) === SLASH || rest.charCodeAt(1) === BANG) this.#ender = '>';
    else {
      this.#ender = '';
      this.#quote = quoteAfter(rest, 1, 0);
    }
    this.#tail = rest.slice(-2);
  }

  /** Whether `chunk` may end the token #rest starts (else the scan of it would find nothing). */
  #ends(chunk: string): boolean {
    if (this.#ender === '') {
      const quote = quoteAfter(chunk, 0, this.#quote);
      if (quote === -1) return true;
      this.#quote = quote;
      return false;
    }
    const seen = this.#tail + chunk;
    if (seen.includes(this.#ender)) return true;
    this.#tail = seen.slice(-2);
    return false;
  }

  #checkLength(length: number): void {
    if (length > MAX_TOKEN) throw new XmlError(`a single token is longer than ${MAX_TOKEN} characters`);
  }

  /** The document ended: anything left open means it was cut short. */
  end(): void {
    if (this.#rest.take().trim() !== '') throw new XmlError('it ends inside a tag');
    if (this.#depth !== 0 || !this.#started) throw new XmlError('it ends before its root element is closed');
  }

  /** Scans as many whole tokens as `s` holds; returns where the first incomplete one starts. */
  #scan(s: string): number {
    const handler = this.#handler;
    let i = 0;
    while (i < s.length) {
      const lt = s.indexOf('<', i);
      if (lt === -1) {
        // Text runs to the next tag, which may hold an entity cut in two: wait for it.
        return handler.wantsText ? i : s.length;
      }
      if (lt > i && handler.wantsText) handler.text(decodeText(s.slice(i, lt)));
      const next = s.charCodeAt(lt + 1);
      let end: number;
      if (next === SLASH) end = this.#close(s, lt);
      else if (next === QUESTION) end = skipPast(s, lt, '?>');
      else if (next === BANG) end = this.#special(s, lt);
      else end = this.#open(s, lt);
      if (end === -1) return lt;
      i = end;
    }
    return i;
  }

  #open(s: string, lt: number): number {
    const gt = tagEnd(s, lt + 1);
    if (gt === -1) return -1;
    const empty = s.charCodeAt(gt - 1) === SLASH;
    const end = empty ? gt - 1 : gt;
    let nameEnd = lt + 1;
    while (nameEnd < end && !isSpace(s.charCodeAt(nameEnd))) nameEnd++;
    const name = nameOf(s, lt + 1, nameEnd);
    if (name === '') throw new XmlError(`a tag has no name: ${s.slice(lt, Math.min(gt + 1, lt + 40))}`);
    this.#started = true;
    this.#handler.open(name, nameEnd === end ? '' : s.slice(nameEnd, end));
    if (empty) this.#handler.close(name);
    else this.#depth++;
    return gt + 1;
  }

  #close(s: string, lt: number): number {
    const gt = s.indexOf('>', lt);
    if (gt === -1) return -1;
    if (--this.#depth < 0) throw new XmlError('an element is closed that was never opened');
    let nameEnd = lt + 2;
    while (nameEnd < gt && !isSpace(s.charCodeAt(nameEnd))) nameEnd++;
    this.#handler.close(nameOf(s, lt + 2, nameEnd));
    return gt + 1;
  }

  /** `<!--…-->`, `<![CDATA[…]]>` or `<!DOCTYPE…>`. */
  #special(s: string, lt: number): number {
    if (s.startsWith('<!--', lt)) return skipPast(s, lt, '-->');
    if (s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt);
      if (end === -1) return -1;
      if (this.#handler.wantsText) this.#handler.text(normalizeLineEnds(s.slice(lt + 9, end)));
      return end + 3;
    }
    if (s.length - lt < 9) return -1; // too short yet to tell which
    throw new XmlError('it has a DOCTYPE or another declaration, which no spreadsheet part has');
  }
}

const LT = 0x3c;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const GT = 0x3e;
const COLON = 0x3a;
const AMPERSAND = 0x26;
const CR = 0x0d;

/** The quote open after `s` from `from` (0 for none) when `quote` was open before it; -1 once a `>` ends the tag. */
function quoteAfter(s: string, from: number, quote: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === GT) return -1;
    else if (c === QUOTE || c === APOSTROPHE) quote = c;
  }
  return quote;
}

/** The `>` that ends a tag starting at `from`, skipping any inside quoted attribute values. */
function tagEnd(s: string, from: number): number {
  let quote = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === GT) return i;
    else if (c === QUOTE || c === APOSTROPHE) quote = c;
  }
  return -1;
}

function skipPast(s: string, from: number, end: string): number {
  const at = s.indexOf(end, from);
  return at === -1 ? -1 : at + end.length;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** One-letter names (c, v, t, f, r: most of a sheet's tags) as shared strings, not a new one per tag. */
const LETTERS = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

/** The local name of the tag name in s[start, end). */
function nameOf(s: string, start: number, end: number): string {
  if (end - start === 1) return LETTERS[s.charCodeAt(start)] ?? s[start] ?? '';
  return localName(s.slice(start, end));
}

/**
 * The value of the attribute named `name` (local name: `r:id` answers to `id`) in an element's
 * raw attribute text, decoded; undefined if it has none.
 */
export function attribute(attributes: string, name: string): string | undefined {
  const found: (string | undefined)[] = [undefined];
  readAttributes(attributes, [name], found);
  return found[0];
}

/**
 * Reads the attributes named in `names` in one pass over the raw text, into `values` at the same
 * places (undefined for one that is absent): the hot path reads three attributes of every cell.
 */
export function readAttributes(attributes: string, names: readonly string[], values: (string | undefined)[]): void {
  values.fill(undefined);
  let i = 0;
  const length = attributes.length;
  while (i < length) {
    while (i < length && isSpace(attributes.charCodeAt(i))) i++;
    const eq = attributes.indexOf('=', i);
    if (eq === -1) return;
    let nameEnd = eq;
    while (nameEnd > i && isSpace(attributes.charCodeAt(nameEnd - 1))) nameEnd--;
    let nameStart = i;
    for (let k = i; k < nameEnd; k++) if (attributes.charCodeAt(k) === COLON) nameStart = k + 1;
    let open = eq + 1;
    while (open < length && isSpace(attributes.charCodeAt(open))) open++;
    const quote = attributes.charCodeAt(open);
    if (quote !== QUOTE && quote !== APOSTROPHE)
      throw new XmlError(`an attribute value without quotes: ${attributes.trim()}`);
    const close = attributes.indexOf(quote === QUOTE ? '"' : "'", open + 1);
    if (close === -1) throw new XmlError(`an attribute value that is never closed: ${attributes.trim()}`);
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as string;
      if (name.length === nameEnd - nameStart && attributes.startsWith(name, nameStart)) {
        values[k] = decodeText(attributes.slice(open + 1, close), true);
        break;
      }
    }
    i = close + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));|&/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character data with its references resolved and its line ends normalised, as XML reads it. */
export function decodeText(raw: string, isAttribute = false): string {
  if (isPlain(raw, isAttribute)) return raw;
  let text = normalizeLineEnds(raw);
  if (isAttribute && /[\t\n]/.test(text)) text = text.replace(/[\t\n]/g, ' ');
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex?: string, decimal?: string, named?: string) => {
    if (named !== undefined) return NAMED[named] ?? whole;
    if (hex === undefined && decimal === undefined)
      throw new XmlError(`an & that starts no known entity: ${JSON.stringify(raw.slice(0, 80))}`);
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0)
      throw new XmlError(`a character reference to no character: ${whole}`);
    return String.fromCodePoint(code);
  });
}

/** Whether text has nothing to decode, the common case: tested first, it spares the rest. */
function isPlain(raw: string, isAttribute: boolean): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === AMPERSAND || c === CR || (isAttribute && isSpace(c) && c !== 0x20)) return false;
  }
  return true;
}

function normalizeLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}
