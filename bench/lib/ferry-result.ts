// The result line a ferry job prints last on stdout with --log-format json, checked.
import type { Counts } from 'ferry';

export interface ResultLine {
  type?: string;
  status?: string;
  exitCode?: number;
  counts?: Counts;
  durationMs?: number;
}

export type Expect =
  /** succeeded, every record read and inserted, nothing else */
  | 'fresh'
  /** succeeded, every record read, none inserted or updated: a rerun over unchanged data */
  | 'unchanged'
  /** succeeded, every record read and accounted for */
  | 'any';

/** Parses the last stdout line and checks it against what the run should have done; returns its counts. */
export function checkResult(label: string, stdout: string, records: number, expect: Expect): Counts {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let result: ResultLine;
  try {
    result = JSON.parse(last) as ResultLine;
  } catch {
    throw new Error(`${label}: the last stdout line is not JSON: ${last.slice(0, 300)}`);
  }
  const c = result.counts;
  if (result.type !== 'result' || result.status !== 'succeeded' || result.exitCode !== 0 || !c)
    throw new Error(`${label}: expected a succeeded result, got ${last}`);
  if (c.read !== records || c.rejected !== 0)
    throw new Error(`${label}: expected ${records} read, 0 rejected, got ${JSON.stringify(c)}`);
  if (c.inserted + c.updated + c.unchanged !== records)
    throw new Error(`${label}: inserted + updated + unchanged is not ${records}: ${JSON.stringify(c)}`);
  if (expect === 'fresh' && (c.inserted !== records || c.deleted !== 0))
    throw new Error(`${label}: a fresh database, yet not every record inserted: ${JSON.stringify(c)}`);
  if (expect === 'unchanged' && (c.unchanged !== records || c.deleted !== 0))
    throw new Error(`${label}: unchanged data, yet rows were written: ${JSON.stringify(c)}`);
  return c;
}

export function formatCounts(c: Counts): string {
  return `read ${c.read}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, deleted ${c.deleted}`;
}
