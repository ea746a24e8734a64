import { httpSource, type HttpSourceOptions, type RetryInfo } from '../../../src/sources/http/index.ts';

/** A short backoff, so that a retried fault costs milliseconds. */
const FAST = { backoff: { baseMs: 2, maxMs: 20 } };

/** Every record a source yields, their ids, and the retries it took. */
export async function readAll(
  options: HttpSourceOptions,
): Promise<{ records: unknown[]; ids: number[]; retries: RetryInfo[] }> {
  const retries: RetryInfo[] = [];
  const records: unknown[] = [];
  for await (const item of httpSource({ ...FAST, ...options, onRetry: (info) => retries.push(info) }).records()) {
    if (item.ok) records.push(item.record);
  }
  return { records, ids: records.map((record) => (record as { id: number }).id), retries };
}
