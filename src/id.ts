import type { ExactNumber } from './values/exact-json.ts';

/** A number a double cannot hold (ExactNumber) counts as the digits it was written with. */
export type IdPart = string | number | bigint | boolean | null | ExactNumber;

/**
 * A stable id from natural-key parts: the first 32 hex digits (128 bits) of the SHA-256 of
 * the parts as a JSON array, e.g. id('shop-1', 42) = sha256('["shop-1",42]').slice(0, 32).
 * The same parts give the same id on every run and machine; `42` and `'42'` differ.
 */
export function id(...parts: IdPart[]): string {
  if (parts.length === 0) throw new TypeError('id() needs at least one part');
  const json = JSON.stringify(parts.map((p) => (typeof p === 'bigint' ? p.toString() : p)));
  // Loaded on first use: node:crypto costs ~9 ms at start-up, and most runs that need ids are long.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(json).digest('hex').slice(0, 32);
}
