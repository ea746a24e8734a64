function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError('no samples');
  return [...samples].sort((a, b) => a - b);
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(samples: readonly number[]): number {
  const s = sorted(samples);
  const mid = s.length >> 1;
  const upper = s[mid] ?? NaN;
  return s.length % 2 === 1 ? upper : ((s[mid - 1] ?? NaN) + upper) / 2;
}

/** The smallest sample that at least p percent of the samples do not exceed (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  const s = sorted(samples);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] ?? NaN;
}

export function max(samples: readonly number[]): number {
  return sorted(samples).at(-1) ?? NaN;
}

/** `a / b` as "1.23×". */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}
