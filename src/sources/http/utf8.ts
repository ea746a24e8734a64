import { isUtf8 } from 'node:buffer';

/** Where bytes first stop being UTF-8: the offset and the bytes of that character. */
export interface Utf8Error {
  offset: number;
  bytes: Uint8Array;
}

export interface Decoded {
  /** The text without a leading BOM; bad bytes in it became U+FFFD. */
  text: string;
  error: Utf8Error | undefined;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Bytes that must be UTF-8, as JSON must be (RFC 8259), as text. Decoding alone would turn bad bytes
 * into U+FFFD without a word, and a changed record would be stored: `error` says where they are.
 */
export function decodeUtf8(bytes: Buffer): Decoded {
  const start = bytes.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
  const body = bytes.subarray(start);
  const text = body.toString('utf8');
  if (isUtf8(body)) return { text, error: undefined };
  const { at, length } = firstBadCharacter(body);
  return { text, error: { offset: start + at, bytes: body.subarray(at, at + length) } };
}

/** Scans to the first ill-formed sequence (RFC 3629 §4); only on the error path, so plain is fine. */
function firstBadCharacter(bytes: Uint8Array): { at: number; length: number } {
  for (let at = 0; at < bytes.length;) {
    const shape = sequenceShape(bytes[at] ?? 0);
    if (shape === undefined) return { at, length: 1 };
    for (let k = 1; k < shape.length; k++) {
      const byte = bytes[at + k];
      const [low, high] = k === 1 ? shape.second : [0x80, 0xbf];
      // The character is the bytes before the one that breaks it (or before the end).
      if (byte === undefined || byte < low || byte > high) return { at, length: k };
    }
    at += shape.length;
  }
  return { at: bytes.length, length: 0 };
}

/** How long a sequence its lead byte starts, and the range its second byte must be in. */
function sequenceShape(lead: number): { length: number; second: [number, number] } | undefined {
  if (lead <= 0x7f) return { length: 1, second: [0, 0] };
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, second: [0x80, 0xbf] };
  if (lead === 0xe0) return { length: 3, second: [0xa0, 0xbf] };
  if (lead === 0xed) return { length: 3, second: [0x80, 0x9f] }; // no UTF-16 surrogates
  if (lead >= 0xe1 && lead <= 0xef) return { length: 3, second: [0x80, 0xbf] };
  if (lead === 0xf0) return { length: 4, second: [0x90, 0xbf] };
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 4, second: [0x80, 0xbf] };
  if (lead === 0xf4) return { length: 4, second: [0x80, 0x8f] }; // nothing past U+10FFFF
  return undefined;
}
