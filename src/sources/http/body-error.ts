import { PermanentError } from '../../errors/errors.ts';
import type { Redactor } from '../../secrets/redact.ts';
import { excerpt } from './http-errors.ts';

/**
 * A 2xx body without records that says the request failed: Slack's `ok: false`, an `error`
 * object or text, a non-empty `errors` list (GraphQL, Shopify), JSend's `status: "error"`. Read
 * as an empty page it would end the import there, rows missing and exit 0.
 */
export function checkBodyError(body: unknown, records: unknown, url: string, redactor: Redactor): void {
  if (Array.isArray(records) && records.length > 0) return;
  const said = errorOf(body);
  if (said === undefined) return;
  const message =
    `GET ${url} answered with no records and an error in its body (${excerpt(said, redactor)}); ` +
    'an empty page would have ended the import there: fix what the API says (the credentials, the URL ' +
    'or its parameters) and run again';
  throw new PermanentError(message, { code: 'HTTP_BODY_ERROR' });
}

/** What the body says went wrong, as text, or undefined when it says nothing of the kind. */
function errorOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  const failed = fields.ok === false || fields.success === false || ['error', 'fail'].includes(String(fields.status));
  if (!failed && !saysError(fields.error) && !saysError(fields.errors)) return undefined;
  return JSON.stringify(body);
}

/** Text, a code other than 0, true, or a list or object with something in it; not null, false, 0, '', [] or {}. */
function saysError(value: unknown): boolean {
  if (typeof value === 'string') return value.trim() !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
  return value === true;
}
