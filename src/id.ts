import type { hash as Hash } from 'node:crypto';
import type { ExactNumber } from './values/exact-json.ts';

/** A number a double cannot hold (ExactNumber) counts as the digits it was written with. */
export type IdPart = string | number | bigint | boolean | null | ExactNumber;

let hash: typeof Hash | undefined;

/** What JSON.stringify escapes in a string (a surrogate only when alone; any one goes the slow way). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

const plain = (p: IdPart) => (typeof p === 'bigint' ? p.toString() : p);

/**
 * A stable id from natural-key parts: the first 32 hex digits (128 bits) of the SHA-256 of
 * the parts as a JSON array, e.g. id('shop-1', 42) = sha256('["shop-1",42]').slice(0, 32).
 * The same parts give the same id on every run and machine; `42` and `'42'` differ.
 */
export function id(...parts: IdPart[]): string {
  if (parts.length === 0) throw new TypeError('id() needs at least one part');
  const only = parts.length === 1 ? parts[0] : undefined;
  // One string with nothing JSON escapes (the common natural key) is written as JSON.stringify
  // would write it, at a fraction of its cost.
  const json = typeof only === 'string' && !ESCAPED.test(only) ? `["${only}"]` : JSON.stringify(parts.map(plain));
  // Loaded on first use: node:crypto is slow to load at start-up, and most runs that need ids are long.
  hash ??= process.getBuiltinModule('node:crypto').hash;
  return hash('sha256', json).slice(0, 32);
}
