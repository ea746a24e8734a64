import { isExactNumber } from '../values/exact-json.ts';
import { encodedForms } from './encoded-forms.ts';

export const REDACTED = '[redacted]';

const STRUCTURAL = new Set([
  'v',
  'ts',
  'type',
  'level',
  'job',
  'version',
  'ferry',
  'runId',
  'pid',
  'dryRun',
  'status',
  'exitCode',
  'counts',
  'durationMs',
  'done',
  'total',
]);

// scheme://user:password@host → scheme://[redacted]@host, whoever's URL it is.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * Below this length a secret is redacted only as a whole token: `API_KEY=x` must not turn every
 * x of every message into [redacted], nor tell a reader which letter the key is.
 */
export const SHORT_SECRET = 8;

// Letters, digits, `_` and `-` join parts of one word or identifier (snake_case, x-ray, a UUID);
// anything else (space, quotes, . , : ; = & ? / % + brackets) ends a token.
const TOKEN_CHAR = '[\\p{L}\\p{N}_\\-]';
const IS_TOKEN_CHAR = new RegExp(`^${TOKEN_CHAR}$`, 'u');

/**
 * Replaces secret values in any text or value about to be printed or stored. Values are
 * redacted before serialization so a short secret can never corrupt a JSON line.
 */
export class Redactor {
  #secrets = new Set<string>();
  #pattern: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    this.add(...secrets);
  }

  add(...secrets: string[]): void {
    for (const secret of secrets) if (secret.length > 0) this.#secrets.add(secret);
    this.#pattern = this.#secrets.size === 0 ? undefined : secretPattern(this.#secrets);
  }

  string(text: string): string {
    const out = text.replace(URL_USERINFO, `$1${REDACTED}@`);
    return this.#pattern === undefined ? out : out.replace(this.#pattern, REDACTED);
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

  /**
   * A deep copy with every string (and error message and stack) redacted, that serializes as
   * the original would: exact numbers stay numbers, a Date its ISO text. Walked with a stack of
   * its own, not by recursion: a record an API nests a million deep must not overflow the call stack.
   */
  value<T>(value: T): T {
    const seen = new WeakSet<object>();
    const root: unknown[] = [undefined];
    const work: Pending[] = [{ value, into: root, at: 0 }];
    for (let next = work.pop(); next !== undefined; next = work.pop()) {
      const { into, at } = next;
      (into as Record<number | string, unknown>)[at] = this.#copy(next.value, seen, work);
    }
    return root[0] as T;
  }

  /** A leaf redacted, or an empty copy of a container whose children are left on `work`. */
  #copy(value: unknown, seen: WeakSet<object>, work: Pending[]): unknown {
    if (typeof value === 'string') return this.string(value);
    if (typeof value !== 'object' || value === null || isExactNumber(value)) return value;
    if (hasToJSON(value)) return this.#copy(value.toJSON(), seen, work);
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Error) return this.#copy(errorFields(value), seen, work);
    // Children go on the stack last first, so they are copied in order: of two references to one
    // object, the first is copied and the second is '[circular]', as a recursive walk would have it.
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = value.length - 1; i >= 0; i--) work.push({ value: value[i], into: out, at: i });
      return out;
    }
    const entries = Object.entries(value);
    const out: Record<string, unknown> = {};
    // The keys in their order, filled in later; defined, not assigned, so that a key named
    // __proto__ (JSON may have one) is a key of the copy and not its prototype.
    for (const [key] of entries)
      Object.defineProperty(out, key, { value: undefined, writable: true, enumerable: true, configurable: true });
    for (const [key, child] of entries.reverse()) work.push({ value: child, into: out, at: key });
    return out;
  }
}

/** A value still to copy, and where its copy goes. */
interface Pending {
  value: unknown;
  into: unknown[] | Record<string, unknown>;
  at: number | string;
}

function hasToJSON(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [k, v] of Object.entries(error)) fields[k] = v;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}

/**
 * One pattern for every form of every secret, so a line is scanned once. Longest first: where
 * two forms start at the same place, the longer is replaced whole.
 */
function secretPattern(secrets: Iterable<string>): RegExp {
  const forms = new Map<string, boolean>(); // form → whole tokens only
  for (const secret of secrets) {
    for (const form of encodedForms(secret)) forms.set(form, (forms.get(form) ?? true) && secret.length < SHORT_SECRET);
  }
  const sorted = [...forms].sort(([a], [b]) => b.length - a.length);
  return new RegExp(sorted.map(([form, whole]) => (whole ? wholeToken(form) : escape(form))).join('|'), 'gu');
}

/** Bounded on each side whose end is a token character, as `\b` would be for words. */
function wholeToken(form: string): string {
  const chars = [...form];
  const before = IS_TOKEN_CHAR.test(chars[0] ?? '') ? `(?<!${TOKEN_CHAR})` : '';
  const after = IS_TOKEN_CHAR.test(chars.at(-1) ?? '') ? `(?!${TOKEN_CHAR})` : '';
  return `${before}${escape(form)}${after}`;
}

function escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
