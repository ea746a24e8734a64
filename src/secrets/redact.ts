export const REDACTED = '[redacted]';

const STRUCTURAL = new Set(['v', 'ts', 'type', 'level', 'job', 'version', 'ferry', 'runId', 'pid', 'dryRun', 'status', 'exitCode', 'counts', 'durationMs', 'done', 'total']);

// scheme://user:password@host → scheme://[redacted]@host, whoever's URL it is.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * Replaces secret values in any text or value about to be printed. Values are
 * redacted before serialization so a short secret can never corrupt a JSON line.
 */
export class Redactor {
  #secrets: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    this.add(...secrets);
  }

  add(...secrets: string[]): void {
    const forms = secrets.filter((s) => s.length > 0).flatMap((s) => [s, encodeURIComponent(s)]);
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets = [...new Set([...this.#secrets, ...forms])].sort((a, b) => b.length - a.length);
  }

  string(text: string): string {
    let out = text.replace(URL_USERINFO, `$1${REDACTED}@`);
    for (const secret of this.#secrets) out = out.replaceAll(secret, REDACTED);
    return out;
  }

  /**
   * An event with its free text redacted; the protocol's own fields (type, ts, runId, counts…)
   * are left alone so that no secret, however short, can turn a line into another shape.
   */
  event<T extends object>(event: T): T {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(event)) {
      out[key] = STRUCTURAL.has(key) ? value : key === 'error' ? this.#error(value) : this.value(value);
    }
    return out as T;
  }

  #error(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return this.value(value);
    const { code, retryable, ...rest } = value as Record<string, unknown>;
    return { code, ...this.value(rest), retryable };
  }

  /** A deep copy with every string (and error message and stack) redacted. */
  value<T>(value: T): T {
    return this.#walk(value, new WeakSet()) as T;
  }

  #walk(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.string(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, seen));
    if (value instanceof Error) return this.#walk(errorFields(value), seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#walk(v, seen);
    return out;
  }
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [k, v] of Object.entries(error)) fields[k] = v;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}
