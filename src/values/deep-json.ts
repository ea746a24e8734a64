import { isExactNumber } from './exact-json.ts';

/**
 * JSON.stringify, also for a value nested deeper than the call stack allows: Node 24's
 * JSON.stringify recurses and throws RangeError on a record 100,000 arrays deep (a hostile file's
 * or API's reject), which JSON.parse read fine. Such a value is written by a loop instead, the
 * same text JSON.stringify gives where it can.
 */
export function stringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return stringifyByLoop(value);
  }
}

/** A value still to write, its toJSON already applied, told apart from the punctuation on the same stack. */
interface Pending {
  value: unknown;
}

/** The loop `stringify` falls back to (exported for its tests). */
export function stringifyByLoop(root: unknown): string {
  const out: string[] = [];
  const stack: (string | Pending)[] = [{ value: toJson(root) }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next === 'string') {
      out.push(next);
      continue;
    }
    const { value } = next;
    if (typeof value !== 'object' || value === null || isExactNumber(value)) {
      out.push(JSON.stringify(value) ?? 'null');
    } else if (Array.isArray(value)) {
      stack.push(']');
      for (let i = value.length - 1; i >= 0; i--) {
        const element = toJson(value[i]);
        stack.push({ value: skipped(element) ? null : element }, ',');
      }
      if (value.length > 0) stack.pop(); // the comma before the first element
      out.push('[');
    } else {
      const entries = Object.entries(value)
        .map(([key, v]) => [key, toJson(v)] as const)
        .filter(([, v]) => !skipped(v));
      stack.push('}');
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i] as (typeof entries)[number];
        stack.push({ value: v }, `${JSON.stringify(key)}:`, ',');
      }
      if (entries.length > 0) stack.pop();
      out.push('{');
    }
  }
  return out.join('');
}

/** A value as JSON.stringify sees it: once through its toJSON, if it has one (an exact number keeps its raw text). */
function toJson(value: unknown): unknown {
  const withToJson = value as { toJSON?: () => unknown } | null;
  return typeof withToJson?.toJSON === 'function' && !isExactNumber(value) ? withToJson.toJSON() : value;
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function skipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
