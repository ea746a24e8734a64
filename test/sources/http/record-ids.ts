import assert from 'node:assert/strict';
import { httpSource, type HttpSourceOptions } from '../../../src/sources/http/index.ts';

/** Every record's id, reading the whole collection as a job would. */
export async function ids(options: HttpSourceOptions): Promise<number[]> {
  const out: number[] = [];
  for await (const item of httpSource(options).records()) {
    assert.ok(item.ok);
    out.push((item.record as { id: number }).id);
  }
  return out;
}
