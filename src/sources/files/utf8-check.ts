import { isUtf8 } from 'node:buffer';
import { PermanentError } from '../../errors/errors.ts';
import type { TextDecoding } from './text-decoding.ts';

/** Where a file stops being UTF-8. */
interface BadBytes {
  /** Of the first bad byte, from the start of the (unzipped) file. */
  offset: number;
  /** The bad byte and a few after it on its line. */
  bytes: Buffer;
  /** The text just before it on its line. */
  before: string;
}

/**
 * A file read as UTF-8 holds a byte that is not UTF-8. Buffer.toString and TextDecoder would
 * turn it into U+FFFD and the run would end well with changed data, so the run fails instead.
 */
export class NotUtf8Error extends PermanentError {
  readonly file: string;
  readonly bad: BadBytes;

  constructor(file: string, bad: BadBytes, where: { line?: number; unzipped?: boolean } = {}) {
    super(notUtf8Message(file, bad, where), { code: 'FILE_NOT_UTF8' });
    this.file = file;
    this.bad = bad;
  }

  /** The same error naming the line, found by a second read (see lineAt). */
  at(line: number, unzipped: boolean): NotUtf8Error {
    return new NotUtf8Error(this.file, this.bad, { line, unzipped });
  }
}

/**
 * Checks that bytes are UTF-8 and passes them on untouched. The check is native (isUtf8), one
 * pass over bytes already in memory; a character split between two chunks is checked whole
 * with the next one. It counts no lines: the error finds its line by reading the file again.
 */
export function utf8Check(file: string): TextDecoding {
  let bytes: Buffer = EMPTY; // the last bytes checked, the carry in front
  let whole = 0; // how many of them are whole characters; the rest, the carry, begins one
  let offset = 0; // of bytes[0] in the file
  return {
    push(chunk) {
      const carry = bytes.subarray(whole);
      offset += whole;
      bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      whole = bytes.length - incompleteTail(bytes);
      if (!isUtf8(whole === bytes.length ? bytes : bytes.subarray(0, whole))) {
        throw badBytes(file, bytes, Math.max(0, firstInvalid(bytes)), offset);
      }
      return chunk;
    },
    end() {
      if (whole < bytes.length) throw badBytes(file, bytes, whole, offset); // the file ends inside a character
      return EMPTY;
    },
  };
}

/** The line (1-based) that holds byte `offset`: CRLF, LF and a lone CR end a line, as for CSV. */
export async function lineAt(chunks: AsyncIterable<Buffer>, offset: number): Promise<number> {
  let line = 1;
  let seen = 0;
  let afterCr = false;
  for await (const chunk of chunks) {
    const end = Math.min(chunk.length, offset - seen);
    for (let i = 0; i < end; i++) {
      const byte = chunk[i];
      if (byte === CR || (byte === LF && !afterCr)) line++;
      afterCr = byte === CR;
    }
    seen += end;
    if (seen >= offset) break;
  }
  return line;
}

function badBytes(file: string, bytes: Buffer, index: number, offset: number): NotUtf8Error {
  let end = index + 1;
  while (end < Math.min(bytes.length, index + SHOWN_BYTES) && !isBreak(bytes[end])) end++;
  return new NotUtf8Error(file, {
    offset: offset + index,
    bytes: Buffer.from(bytes.subarray(index, end)),
    before: textBefore(bytes, index),
  });
}

function notUtf8Message(
  file: string,
  { offset, bytes, before }: BadBytes,
  where: { line?: number; unzipped?: boolean },
): string {
  const place = where.line === undefined ? file : `${file}, line ${where.line}`;
  const hex = `${bytes.length === 1 ? 'byte' : 'bytes'} ${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')}`;
  const context = before === '' ? '' : ` after ${JSON.stringify(before)}`;
  const counted = where.unzipped ? ' of the unzipped text' : '';
  // Both one byte a character, and neither ever invalid: only the user knows which program saved the file.
  const advice =
    'if the file was saved by an older Windows program, pass --encoding windows-1252 (or latin1); by Excel for Mac as CSV (Macintosh), pass --encoding macintosh';
  return `${place}: not UTF-8 at byte offset ${offset}${counted}: ${hex}${context}; ${advice}`;
}

/** Up to CONTEXT_BYTES of text before `index`, from the start of its line. */
function textBefore(bytes: Buffer, index: number): string {
  let start = Math.max(0, index - CONTEXT_BYTES);
  for (let i = index - 1; i >= start; i--) {
    if (isBreak(bytes[i])) {
      start = i + 1;
      break;
    }
  }
  while (start < index && isContinuation(bytes[start] ?? 0)) start++; // not half a character
  return bytes.toString('utf8', start, index);
}

/** How many bytes at the end begin a character that is not complete yet. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if (!isContinuation(byte)) return back < sequenceLength(byte) ? back : 0;
  }
  return 0;
}

function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

function isBreak(byte: number | undefined): boolean {
  return byte === LF || byte === CR;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * The index of the first byte that does not start a well-formed character (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or -1. Only runs once isUtf8 said no.
 */
function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const [length, low, high] = SECOND_BYTE.find(([, , , from, to]) => lead >= from && lead <= to) ?? [0, 0, 0];
    if (length === 0 || i + length > bytes.length) return i;
    const second = bytes[i + 1] ?? 0;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if (!isContinuation(bytes[i + k] ?? 0)) return i;
    i += length;
  }
  return -1;
}

/** [length, lowest second byte, highest second byte, first lead, last lead] (Unicode table 3-7). */
const SECOND_BYTE: readonly (readonly [number, number, number, number, number])[] = [
  [2, 0x80, 0xbf, 0xc2, 0xdf],
  [3, 0xa0, 0xbf, 0xe0, 0xe0],
  [3, 0x80, 0xbf, 0xe1, 0xec],
  [3, 0x80, 0x9f, 0xed, 0xed],
  [3, 0x80, 0xbf, 0xee, 0xef],
  [4, 0x90, 0xbf, 0xf0, 0xf0],
  [4, 0x80, 0xbf, 0xf1, 0xf3],
  [4, 0x80, 0x8f, 0xf4, 0xf4],
];

const EMPTY = Buffer.alloc(0);
const CONTEXT_BYTES = 24;
const SHOWN_BYTES = 4;
const LF = 10;
const CR = 13;
