import { ConfigError, PermanentError } from '../../errors/errors.ts';
import { utf8Check } from './utf8-check.ts';

/**
 * The text encodings the file readers take. `latin1` is read as windows-1252, as browsers
 * (WHATWG's TextDecoder) and MySQL read it: the two differ only at bytes 0x80–0x9F, which
 * ISO-8859-1 gives to control codes no text file holds and windows-1252 to €, “ ”, – and the like.
 */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1' | 'windows-1252' | 'macintosh';

/** `macintosh` is Mac OS Roman, what Excel for Mac still writes as "CSV (Macintosh)". */
const ENCODINGS: readonly TextEncoding[] = ['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252', 'macintosh'];

/** Bytes in, UTF-8 bytes out, a chunk at a time; throws a PermanentError at bytes that do not fit. */
export interface TextDecoding {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

/** Throws a ConfigError for an encoding the readers do not know; undefined is the default. */
export function checkEncoding(encoding: string | undefined): void {
  if (encoding !== undefined && !ENCODINGS.includes(encoding as TextEncoding)) {
    throw new ConfigError(`unknown encoding ${JSON.stringify(encoding)}: use ${ENCODINGS.join(', ')}`);
  }
}

/**
 * Turns a file's bytes into UTF-8. Without an encoding a byte-order mark decides (UTF-16LE,
 * UTF-16BE, UTF-8) and a file without one is UTF-8. A given encoding is held to: a file that
 * starts with another encoding's mark fails, as it would otherwise be read as mojibake.
 */
export function textDecoding(file: string, encoding: TextEncoding | undefined): TextDecoding {
  let head: Buffer = EMPTY; // the first bytes, until there are enough to see a byte-order mark
  let decoding: TextDecoding | undefined;
  const start = (): TextDecoding => (decoding = decodingFor(file, head, encoding));
  return {
    push(chunk) {
      if (decoding) return decoding.push(chunk);
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      return head.length < MAX_BOM_BYTES ? EMPTY : start().push(head);
    },
    end() {
      if (decoding) return decoding.end();
      if (head.length === 0) return EMPTY;
      const last = start();
      return Buffer.concat([last.push(head), last.end()]);
    },
  };
}

function decodingFor(file: string, head: Buffer, encoding: TextEncoding | undefined): TextDecoding {
  const marked = BOMS.find(([, bom]) => head.subarray(0, bom.length).equals(bom))?.[0];
  if (encoding !== undefined && marked !== undefined && marked !== encoding) {
    throw new PermanentError(
      `${file} starts with the byte-order mark of ${marked}, yet is read as ${encoding}: pass --encoding ${marked}, or leave --encoding out`,
      { code: 'FILE_ENCODING_MISMATCH' },
    );
  }
  const unmarked = encoding === undefined && marked === undefined ? utf16Order(head) : undefined;
  if (unmarked !== undefined) {
    throw new PermanentError(
      `${file} looks like ${unmarked.toUpperCase()} without a byte-order mark (its text starts with a 0 byte beside each letter), not UTF-8: pass --encoding ${unmarked}`,
      { code: 'FILE_NOT_UTF8' },
    );
  }
  const chosen = encoding ?? marked ?? 'utf-8';
  // UTF-8 goes on as it is, checked: the readers strip its byte-order mark themselves.
  return chosen === 'utf-8' ? utf8Check(file) : transcoding(file, chosen);
}

/** Decodes with a streaming TextDecoder (its own byte-order mark is dropped) and re-encodes as UTF-8. */
function transcoding(file: string, encoding: Exclude<TextEncoding, 'utf-8'>): TextDecoding {
  const decoder = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : encoding, { fatal: true });
  let offset = 0;
  const decode = (chunk: Buffer | undefined): Buffer => {
    let text: string;
    try {
      text = chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      // Only UTF-16 can fail: an unpaired surrogate, or an odd byte at the end.
      const where = chunk === undefined ? 'at its end' : `between byte offsets ${offset} and ${offset + chunk.length}`;
      throw new PermanentError(
        `${file}: not valid ${encoding.toUpperCase()} ${where}: check --encoding (is it the other byte order, or not UTF-16 at all?)`,
        { code: 'FILE_ENCODING_INVALID', cause: error },
      );
    }
    offset += chunk?.length ?? 0;
    return Buffer.from(text, 'utf8');
  };
  return { push: (chunk) => decode(chunk), end: () => decode(undefined) };
}

/**
 * The byte order of a file whose first characters are ASCII in UTF-16 (a letter, then a 0 byte,
 * or the other way round): read as UTF-8 it would be text full of NULs. No UTF-8 text starts so.
 */
function utf16Order(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const units = Math.min(4, Math.floor(head.length / 2));
  if (units < 2) return undefined;
  let le = true;
  let be = true;
  for (let i = 0; i < units; i++) {
    const [a, b] = [head[2 * i], head[2 * i + 1]];
    le &&= a !== 0 && b === 0;
    be &&= a === 0 && b !== 0;
  }
  return le ? 'utf-16le' : be ? 'utf-16be' : undefined;
}

const BOMS: readonly (readonly [TextEncoding, Buffer])[] = [
  ['utf-8', Buffer.from([0xef, 0xbb, 0xbf])],
  ['utf-16le', Buffer.from([0xff, 0xfe])],
  ['utf-16be', Buffer.from([0xfe, 0xff])],
];
const MAX_BOM_BYTES = 3;
const EMPTY = Buffer.alloc(0);
