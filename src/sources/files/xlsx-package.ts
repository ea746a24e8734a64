import { TextDecoder } from 'node:util';
import type { Entry, ZipFile } from 'yauzl';
import { PermanentError, isFerryError } from '../../errors/errors.ts';
import { fileError, throwIfCancelled } from './open-stream.ts';
import { formatBytes } from './record-limit.ts';
import { readablePath } from './spool.ts';
import { XmlError, XmlScanner, type XmlHandler } from './xml-scanner.ts';

/**
 * An XLSX file as what it is, a ZIP package of XML parts, read through its central directory
 * (yauzl): a part is found by name and inflated as a stream, never whole. Every failure is a
 * PermanentError that names the file and the part (XLSX_INVALID), or a file error from
 * open-stream.ts (FILE_NOT_FOUND, FILE_UNREADABLE).
 */
export class XlsxPackage {
  readonly file: string;
  readonly #zip: ZipFile;
  readonly #entries: Map<string, Entry>;
  readonly #signal: AbortSignal | undefined;

  private constructor(file: string, zip: ZipFile, entries: Map<string, Entry>, signal: AbortSignal | undefined) {
    this.file = file;
    this.#zip = zip;
    this.#entries = entries;
    this.#signal = signal;
  }

  static async open(file: string, signal: AbortSignal | undefined): Promise<XlsxPackage> {
    // Loaded on first read, like node:zlib in open-stream.ts: every start-up (--help too) would pay for it.
    const yauzl = await import('yauzl');
    const path = await readablePath(file, signal).catch((error: unknown) => {
      throwIfCancelled(signal);
      throw notAWorkbook(file, error);
    });
    const zip = await yauzl
      .openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false })
      .catch((error: unknown) => {
        throw notAWorkbook(file, error);
      });
    try {
      const entries = new Map<string, Entry>();
      // Part names are case-insensitive (ECMA-376 part 2); a leading slash is the package root.
      for await (const entry of zip.eachEntry()) entries.set(partKey(entry.fileName), entry);
      return new XlsxPackage(file, zip, entries, signal);
    } catch (error) {
      zip.close();
      throw notAWorkbook(file, error);
    }
  }

  /** What the ZIP directory says of a part's content (CRC-32 and sizes): equal for equal content. */
  fingerprint(part: string): string {
    const entry = this.#entries.get(partKey(part));
    return entry === undefined ? '' : `${entry.crc32}:${entry.compressedSize}:${entry.uncompressedSize}`;
  }

  has(part: string): boolean {
    return this.#entries.has(partKey(part));
  }

  /**
   * The part's text, a piece at a time, decoded from UTF-8 (or UTF-16, by its byte-order mark),
   * its checksum checked at the end: a damaged part fails rather than read as other data.
   */
  async *text(part: string): AsyncGenerator<string> {
    const entry = this.#entries.get(partKey(part));
    if (entry === undefined) throw this.invalid(`it has no part ${part}`);
    let crc = 0;
    let decoder: TextDecoder | undefined;
    try {
      const stream = await this.#zip.openReadStreamPromise(entry);
      const { crc32 } = process.getBuiltinModule('node:zlib');
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          throwIfCancelled(this.#signal);
          crc = crc32(chunk, crc);
          decoder ??= decoderFor(chunk);
          yield decoder.decode(chunk, { stream: true });
        }
      } finally {
        stream.destroy();
      }
      const rest = (decoder ?? new TextDecoder()).decode();
      if (rest !== '') yield rest;
    } catch (error) {
      if (isFerryError(error)) throw error;
      throw this.invalid(`${part} cannot be read (${(error as Error).message})`, error);
    }
    if (crc !== entry.crc32) throw this.invalid(`${part} is damaged (its checksum does not match)`);
  }

  /**
   * Scans a whole part with `handler`. The parts read whole besides the shared strings (which
   * keep their own limit) are small: relationships, the workbook, the styles. A huge one is a
   * broken or hostile file, refused before it is inflated.
   */
  async scan(part: string, handler: XmlHandler, maxBytes = MAX_SMALL_PART): Promise<void> {
    const size = this.#entries.get(partKey(part))?.uncompressedSize ?? 0;
    if (size > maxBytes) throw this.invalid(`${part} is ${formatBytes(size)}, more than such a part ever holds`);
    const scanner = new XmlScanner(handler);
    try {
      for await (const text of this.text(part)) scanner.write(text);
      scanner.end();
    } catch (error) {
      throw this.xmlError(part, error);
    }
  }

  /** An XmlError from scanning `part` as the PermanentError a user sees; others pass through. */
  xmlError(part: string, error: unknown): unknown {
    if (!(error instanceof XmlError)) return error;
    return this.invalid(`${part} is not well-formed XML: ${error.message}`, error);
  }

  invalid(what: string, cause?: unknown): PermanentError {
    return new PermanentError(
      `${this.file} is not a readable XLSX workbook: ${what}. Check that the copy is complete, or open it in a spreadsheet program and save it again as .xlsx`,
      { code: 'XLSX_INVALID', cause },
    );
  }

  close(): void {
    this.#zip.close();
  }
}

const MAX_SMALL_PART = 64 * 1024 * 1024;

function partKey(name: string): string {
  return name.replace(/^\/+/, '').toLowerCase();
}

/** A text decoder for a part: XML is UTF-8 unless a byte-order mark says UTF-16. */
function decoderFor(first: Buffer): TextDecoder {
  if (first[0] === 0xff && first[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true });
  if (first[0] === 0xfe && first[1] === 0xff) return new TextDecoder('utf-16be', { fatal: true });
  return new TextDecoder('utf-8', { fatal: true });
}

/** Why a file cannot be opened as a ZIP package, said for a user who may have a CSV or an .xls. */
function notAWorkbook(file: string, error: unknown): unknown {
  const failure = fileError(file, error);
  if (isFerryError(failure) || !(failure instanceof Error)) return failure;
  return new PermanentError(
    `${file} is not an XLSX workbook: it is not a ZIP package (${failure.message}). An .xlsx is a ZIP file; ` +
      'an older .xls, a password-protected workbook or a CSV under another name is not: save it from the ' +
      'spreadsheet program as .xlsx without a password, or pass the format it really has (e.g. --format csv)',
    { code: 'XLSX_INVALID', cause: failure },
  );
}
