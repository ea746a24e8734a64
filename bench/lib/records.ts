// Deterministic NDJSON test data: record i is a pure function of i, so a file of N records is
// the same on every machine and run, a smaller file is a prefix of a bigger one, and a
// benchmark can check any row it wrote against recordAt(i) without reading the file again.
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Bump when recordAt() changes, so a cached file of the old shape is never reused. */
const DATA_VERSION = 1;
const CACHE_DIR = path.join(import.meta.dirname, '..', '.cache');
const LINES_PER_WRITE = 20_000;

export interface BenchRecord {
  id: string;
  name: string;
  email: string;
  country: string;
  status: string;
  quantity: number;
  visits: number;
  score: number;
  active: boolean;
  updated_at: string;
  meta: { plan: string; seats: number; tags: string[] };
}

/** The table every writer of these records creates: ten-odd columns, keyed by id. */
export const RECORD_COLUMNS = {
  id: 'text',
  name: 'text',
  email: 'text',
  country: 'text',
  status: 'text',
  quantity: 'integer',
  visits: 'integer',
  score: 'real',
  active: 'boolean',
  updated_at: 'text',
  meta: 'json',
} as const;

const FIRST = [
  'Ada',
  'Alan',
  'Barbara',
  'Claude',
  'Donald',
  'Edsger',
  'Frances',
  'Grace',
  'John',
  'Katherine',
  'Leslie',
  'Margaret',
  'Niklaus',
  'Radia',
  'Tony',
  'Vint',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Liskov',
  'Shannon',
  'Knuth',
  'Dijkstra',
  'Allen',
  'Hopper',
  'McCarthy',
  'Johnson',
  'Lamport',
  'Hamilton',
  'Wirth',
  'Perlman',
  'Hoare',
  'Cerf',
];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example'];
const COUNTRIES = ['DE', 'FR', 'NL', 'SE', 'US', 'GB', 'JP', 'BR', 'IN', 'ZA', 'CA', 'AU'];
const STATUSES = ['active', 'pending', 'suspended', 'closed'];
const PLANS = ['free', 'team', 'business', 'enterprise'];
const TAGS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
const BASE_MS = Date.UTC(2025, 0, 1);
const YEAR_S = 365 * 86_400;

/** A 32-bit integer hash of (i, salt): the only source of "randomness". */
function mix(i: number, salt: number): number {
  let h = Math.imul(i ^ Math.imul(salt, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length] as T;

export function recordAt(i: number): BenchRecord {
  const a = mix(i, 1);
  const b = mix(i, 2);
  const c = mix(i, 3);
  return {
    id: `rec-${String(i).padStart(9, '0')}`,
    name: `${pick(FIRST, a)} ${pick(LAST, a >>> 8)}`,
    email: `user${i}@${pick(DOMAINS, a >>> 16)}`,
    country: pick(COUNTRIES, b),
    status: pick(STATUSES, b >>> 8),
    quantity: a % 1000,
    visits: b % 100_000,
    score: (c % 10_000_000) / 100,
    active: (b & 1) === 1,
    updated_at: new Date(BASE_MS + (c % YEAR_S) * 1000).toISOString(),
    meta: { plan: pick(PLANS, c >>> 4), seats: 1 + (c % 50), tags: [pick(TAGS, a >>> 20), pick(TAGS, b >>> 20)] },
  };
}

/** The records a benchmark checks column by column after a run of `count`: the ends, the middle and a few between. */
export function spotIndices(count: number): number[] {
  return [
    ...new Set([
      0,
      1,
      999,
      Math.floor(count * 0.37),
      Math.floor(count / 2),
      Math.floor(count * 0.73),
      count - 2,
      count - 1,
    ]),
  ].filter((i) => i >= 0 && i < count);
}

/** The cached NDJSON file of `count` records, generated on first use. */
export async function ndjsonFile(
  count: number,
  onProgress?: (written: number) => void,
): Promise<{ file: string; bytes: number; generatedMs: number | undefined }> {
  const file = path.join(CACHE_DIR, `records-v${DATA_VERSION}-${count}.ndjson`);
  if (existsSync(file)) return { file, bytes: (await stat(file)).size, generatedMs: undefined };
  const started = performance.now();
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  const out = await open(partial, 'w');
  try {
    for (let from = 0; from < count; from += LINES_PER_WRITE) {
      let chunk = '';
      for (let i = from; i < Math.min(count, from + LINES_PER_WRITE); i++) chunk += `${JSON.stringify(recordAt(i))}\n`;
      await out.write(chunk);
      onProgress?.(Math.min(count, from + LINES_PER_WRITE));
    }
    await out.close();
    await rename(partial, file); // whole or absent: an interrupted run leaves no short file behind
  } catch (error) {
    await out.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
  return { file, bytes: (await stat(file)).size, generatedMs: performance.now() - started };
}
