/** What a benchmark (`bench/<id>.bench.ts`, default export) hands back to bench/run.ts. */
export interface BenchSection {
  title: string;
  /** One paragraph: what was measured, and how. */
  method: string;
  /** Measured figures, with a ratio against a bare baseline measured in the same run. */
  table: Table;
  targets: TargetCheck[];
  /** Caveats and context, one line each. */
  notes: string[];
}

export interface Table {
  head: string[];
  /** Cells as printed; columns after the first are right-aligned. */
  rows: string[][];
}

export interface TargetCheck {
  /** e.g. "median wall time of a no-op run" */
  what: string;
  /** e.g. "< 60 ms" */
  target: string;
  /** e.g. "41.2 ms" */
  measured: string;
  pass: boolean;
}

/** A check that `value` stays under `limit`, both in `unit`. */
export function below(what: string, value: number, limit: number, unit: string, digits = 1): TargetCheck {
  return { what, target: `< ${limit} ${unit}`, measured: `${value.toFixed(digits)} ${unit}`, pass: value < limit };
}

/** A check that `value` reaches at least `limit`, both in `unit` (a ratio: '×'). */
export function atLeast(what: string, value: number, limit: number, unit: string, digits = 2): TargetCheck {
  const sep = unit === '×' ? '' : ' ';
  return {
    what,
    target: `>= ${limit}${sep}${unit}`,
    measured: `${value.toFixed(digits)}${sep}${unit}`,
    pass: value >= limit,
  };
}
