// Deterministic CSV test data, from the same generator as the NDJSON files (records.ts): row i
// is a pure function of i, so a file of N rows is the same on every machine and run, and a
// benchmark can check any row it imported against csvRowAt(i) without reading the file again.
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { recordAt } from './records.ts';

/** Bump when csvRowAt() or the quoting changes, so a cached file of the old shape is never reused. */
const DATA_VERSION = 1;
const CACHE_DIR = path.join(import.meta.dirname, '..', '.cache');
const ROWS_PER_WRITE = 20_000;

/** The header: eight columns, all imported as TEXT by the file-import job. */
export const CSV_COLUMNS = ['id', 'name', 'email', 'country', 'status', 'quantity', 'score', 'updated_at'] as const;

/**
 * Row i's values as the file holds them (and as file-import stores them): the name is written
 * "Last, First", so every row has a quoted field with a comma in it, as real exports do.
 */
export function csvRowAt(i: number): Record<(typeof CSV_COLUMNS)[number], string> {
  const r = recordAt(i);
  const [first = '', last = ''] = r.name.split(' ');
  return {
    id: r.id,
    name: `${last}, ${first}`,
    email: r.email,
    country: r.country,
    status: r.status,
    quantity: String(r.quantity),
    score: String(r.score),
    updated_at: r.updated_at,
  };
}

/** RFC 4180: quote a field holding a comma, a quote or a line break; double its quotes. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(i: number): string {
  const row = csvRowAt(i);
  return CSV_COLUMNS.map((c) => field(row[c])).join(',');
}

/** The cached CSV file of `count` rows (plus the header), generated on first use. */
export async function csvFile(
  count: number,
  onProgress?: (written: number) => void,
): Promise<{ file: string; bytes: number; generatedMs: number | undefined }> {
  const file = path.join(CACHE_DIR, `people-v${DATA_VERSION}-${count}.csv`);
  if (existsSync(file)) return { file, bytes: (await stat(file)).size, generatedMs: undefined };
  const started = performance.now();
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  const out = await open(partial, 'w');
  try {
    await out.write(`${CSV_COLUMNS.join(',')}\n`);
    for (let from = 0; from < count; from += ROWS_PER_WRITE) {
      let chunk = '';
      for (let i = from; i < Math.min(count, from + ROWS_PER_WRITE); i++) chunk += `${csvLine(i)}\n`;
      await out.write(chunk);
      onProgress?.(Math.min(count, from + ROWS_PER_WRITE));
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
