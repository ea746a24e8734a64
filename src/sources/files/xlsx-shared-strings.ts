import { PermanentError } from '../../errors/errors.ts';
import { formatBytes } from './record-limit.ts';
import type { XlsxPackage } from './xlsx-package.ts';
import { StringItem } from './xlsx-strings.ts';
import type { XmlHandler } from './xml-scanner.ts';

const PAGE = 1 << 20;
/** Offsets are 32-bit: a table never holds more bytes than they reach. */
const MAX_OFFSET = 2 ** 32 - 1;

/**
 * The shared-strings table: every string a sheet refers to by index. It must be read whole
 * before the sheet (cells refer to any index), so it is kept compactly: UTF-8 bytes in 1 MiB
 * pages and one 32-bit offset per string, about the strings' UTF-8 size plus 4 bytes each, where
 * a JavaScript string costs 20-odd bytes of header each and a garbage collector's attention.
 */
export class SharedStrings {
  #pages: Buffer[] = [];
  #offsets = new Uint32Array(1024);
  #count = 0;
  /** Bytes written: the end of the last string, in a space where page p starts at p × PAGE. */
  #end = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = Math.min(maxBytes, MAX_OFFSET);
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#end;
  }

  add(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    if (this.#end + length > this.#maxBytes) throw new RangeError('shared strings too large');
    const page = Math.floor(this.#end / PAGE);
    const into = this.#end - page * PAGE;
    if (into + length <= PAGE) (this.#pages[page] ??= Buffer.allocUnsafe(PAGE)).write(text, into, 'utf8');
    else this.#spill(Buffer.from(text, 'utf8'));
    this.#end += length;
    if (this.#count + 1 >= this.#offsets.length) {
      const grown = new Uint32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[++this.#count] = this.#end;
  }

  /** Writes bytes that run past the current page across as many pages as they need. */
  #spill(bytes: Buffer): void {
    for (let at = 0, end = this.#end; at < bytes.length;) {
      const page = Math.floor(end / PAGE);
      const n = bytes.copy((this.#pages[page] ??= Buffer.allocUnsafe(PAGE)), end - page * PAGE, at);
      at += n;
      end += n;
    }
  }

  /** The string at `index`, or undefined past the end. */
  get(index: number): string | undefined {
    if (!(index >= 0 && index < this.#count)) return undefined;
    const start = this.#offsets[index] as number;
    const end = this.#offsets[index + 1] as number;
    const page = Math.floor(start / PAGE);
    const from = start - page * PAGE;
    if (end - page * PAGE <= PAGE) return (this.#pages[page] as Buffer).toString('utf8', from, end - page * PAGE);
    // A string across pages: rare, one at most per page boundary.
    const parts: Buffer[] = [];
    for (let p = page, at = start; at < end; p++, at = p * PAGE)
      parts.push((this.#pages[p] as Buffer).subarray(at - p * PAGE, Math.min(PAGE, end - p * PAGE)));
    return Buffer.concat(parts).toString('utf8');
  }
}

/**
 * The most shared-string text a workbook may bring. The table is held in memory (cells refer to
 * it by index), so a bigger one would take the memory of the machine; see README, XLSX.
 */
const MAX_SHARED_STRING_BYTES = 1024 * 1024 * 1024;

/**
 * The last table read, kept for a minute: a job that reads a workbook twice in a row
 * (file-import reads the header, then the rows) loads its strings once. A WeakRef would not do:
 * the pages are external memory, and the collector frees them before the second read starts.
 * The part's CRC-32 and sizes from the ZIP directory, with the file's name, say it is the same part.
 */
let lastRead: { key: string; table: SharedStrings; forget: NodeJS.Timeout } | undefined;
const KEEP_MS = 60_000;

function remember(key: string, table: SharedStrings): void {
  clearTimeout(lastRead?.forget);
  // unref: a table kept for a later read never keeps the process alive.
  lastRead = { key, table, forget: setTimeout(() => (lastRead = undefined), KEEP_MS).unref() };
}

/** Reads the shared-strings part of a workbook (an empty table when it has none). */
export async function readSharedStrings(pkg: XlsxPackage, part: string | undefined): Promise<SharedStrings> {
  if (part === undefined) return new SharedStrings(0);
  const key = `${pkg.file}\0${pkg.fingerprint(part)}`;
  const cached = lastRead?.key === key ? lastRead.table : undefined;
  if (cached !== undefined) {
    remember(key, cached);
    return cached;
  }
  const table = new SharedStrings(MAX_SHARED_STRING_BYTES);
  try {
    await pkg.scan(part, sharedStringsHandler(table), Infinity);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new PermanentError(
      `${pkg.file}: its shared strings hold more than ${formatBytes(MAX_SHARED_STRING_BYTES)} of text, all of which a reader must hold in memory: export the sheet as CSV and import that`,
      { code: 'XLSX_TOO_LARGE', cause: error },
    );
  }
  remember(key, table);
  return table;
}

/** A handler for the shared-strings part that fills `table`, one `<si>` at a time. */
function sharedStringsHandler(table: SharedStrings): XmlHandler {
  const item = new StringItem();
  let inItem = false;
  return {
    get wantsText() {
      return inItem && item.wantsText;
    },
    open(name) {
      if (name === 'si') {
        inItem = true;
        item.start();
      } else if (inItem) item.open(name);
    },
    close(name) {
      if (name === 'si') {
        inItem = false;
        table.add(item.value());
      } else if (inItem) item.close(name);
    },
    text(text) {
      item.text(text);
    },
  };
}
