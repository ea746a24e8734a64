/** A `Retry-After` value (delta-seconds or HTTP-date) in milliseconds from `now`, if it is one. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Date.parse accepts bare numbers like "1.5" as dates; an HTTP-date always has a month name.
  if (!/[a-z]/i.test(text)) return undefined;
  // asctime dates carry no zone, and HTTP dates are always GMT.
  const at = Date.parse(/\b(GMT|UTC)\b/i.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
