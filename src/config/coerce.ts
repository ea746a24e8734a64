import path from 'node:path';
import ms from 'ms';
import type { ConfigValue, OptionSpec } from './options.ts';

export type Coerced = { ok: true; value: ConfigValue } | { ok: false; expected: string };

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** The form an option expects, as shown in help and in error messages. */
export function expectedForm(spec: OptionSpec): string {
  switch (spec.type) {
    case 'string':
      return 'a string';
    case 'int':
      return `an integer${range(spec.min, spec.max)}`;
    case 'number':
      return `a number${range(spec.min, spec.max)}`;
    case 'boolean':
      return 'true or false (also 1/0, yes/no)';
    case 'url':
      return `an absolute URL (${(spec.protocols ?? ['http', 'https']).map((p) => `${p}://`).join(', ')})`;
    case 'path':
      return 'a file path';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'duration':
      return `a duration such as 500ms, 30s, 5m, 25h or 7d${spec.max ? `, at most ${spec.max}` : ''}`;
    case 'list':
      return 'a comma-separated list';
  }
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** Parses a value as given by a flag, the environment, an env file or a default. */
export function coerce(spec: OptionSpec, raw: unknown, cwd: string): Coerced {
  const fail: Coerced = { ok: false, expected: expectedForm(spec) };
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' ? { ok: true, value: raw } : fail;
    case 'int':
    case 'number': {
      const n = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : NaN;
      const bad =
        !Number.isFinite(n) ||
        (spec.type === 'int' && !Number.isSafeInteger(n)) ||
        (spec.min !== undefined && n < spec.min) ||
        (spec.max !== undefined && n > spec.max);
      return bad ? fail : { ok: true, value: n };
    }
    case 'boolean':
      if (typeof text === 'boolean') return { ok: true, value: text };
      if (typeof text !== 'string') return fail;
      if (TRUE.has(text.toLowerCase())) return { ok: true, value: true };
      if (FALSE.has(text.toLowerCase())) return { ok: true, value: false };
      return fail;
    case 'url':
      return typeof text === 'string' ? coerceUrl(text, spec.protocols ?? ['http', 'https'], fail) : fail;
    case 'path':
      // A path in quotes came through a door that keeps them (docker --env-file): no file is named so.
      return typeof text === 'string' && text !== '' && !isQuoted(text)
        ? { ok: true, value: path.resolve(cwd, text) }
        : fail;
    case 'enum':
      return typeof text === 'string' && spec.values.includes(text) ? { ok: true, value: text } : fail;
    case 'duration':
      return coerceDuration(text, spec.max === undefined ? MAX_DURATION_MS : ms(spec.max as ms.StringValue), fail);
    case 'list':
      return coerceList(raw, fail);
  }
}

/** Wrapped in a pair of double or single quotes, as `docker run --env-file` passes `X="value"` on. */
export function isQuoted(text: string): boolean {
  return text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.at(-1) === text[0];
}

function coerceUrl(text: string, protocols: readonly string[], fail: Coerced): Coerced {
  if (!URL.canParse(text)) return fail;
  const url = new URL(text);
  return protocols.includes(url.protocol.replace(/:$/, '')) ? { ok: true, value: text } : fail;
}

// Past this a date the run works out (a history cut-off) no longer exists.
const MAX_DURATION_MS = ms('1000y');

/** Whole milliseconds: timers and SQLite's busy timeout take no fraction. */
function coerceDuration(text: unknown, max: number, fail: Coerced): Coerced {
  const within = (value: number): Coerced =>
    Number.isFinite(value) && value >= 0 && value <= max ? { ok: true, value: Math.round(value) } : fail;
  if (typeof text === 'number') return within(text);
  // A bare number is ambiguous (seconds? ms?): ask for a unit.
  if (typeof text !== 'string' || !/^\d+(\.\d+)?\s*[a-z]+$/i.test(text)) return fail;
  return within(ms(text as ms.StringValue));
}

function coerceList(raw: unknown, fail: Coerced): Coerced {
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
  if (!parts?.every((p) => typeof p === 'string')) return fail;
  const value = parts
    .flatMap((p: string) => p.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { ok: true, value };
}
