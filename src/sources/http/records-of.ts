import { PermanentError } from '../../errors/errors.ts';
import type { Redactor } from '../../secrets/redact.ts';
import { checkBodyError } from './body-error.ts';
import { getPath } from './dot-path.ts';
import { excerpt } from './http-errors.ts';

/**
 * The records array of a page body: the body itself, or the array at `recordsField`. A body with
 * no records that says the request failed is that failure (`HTTP_BODY_ERROR`), not an empty page.
 */
export function recordsOf(body: unknown, recordsField: string | undefined, url: string, redactor: Redactor): unknown[] {
  const records = recordsField === undefined ? body : getPath(body, recordsField);
  checkBodyError(body, records, url, redactor);
  if (Array.isArray(records)) return records;
  const where = recordsField === undefined ? 'the body' : `"${recordsField}" in the body`;
  const message = `GET ${url}: ${where} is ${describe(records)}, not an array of records; ${hint(body, redactor)}`;
  throw new PermanentError(message, { code: 'HTTP_BODY_SHAPE' });
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function hint(body: unknown, redactor: Redactor): string {
  const paths = arrayPaths(body, '', 2);
  // An answer that is no collection at all ({"message": "Bad credentials"}) is best shown as it is.
  if (paths.length === 0)
    return `the body holds no array at all (${excerpt(JSON.stringify(body) ?? '', redactor)}): check the URL and the credentials`;
  return `set recordsField to the dot path of the records (arrays in this body: ${paths.map((p) => `"${p}"`).join(', ')})`;
}

function arrayPaths(value: unknown, prefix: string, depth: number): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth === 0) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix + key;
    return Array.isArray(child) ? [path] : arrayPaths(child, `${path}.`, depth - 1);
  });
}
