import { PermanentError, RetryableError } from '../../errors/errors.ts';
import type { Redactor } from '../../secrets/redact.ts';

/**
 * Fields of the errors about a request (status and retry errors), so callers need not parse messages.
 *
 * Codes: `HTTP_<status>` for an answer (PermanentError for a 4xx other than 408/429 or any
 * other non-2xx; RetryableError for 408, 429, 5xx once retries are used up), `HTTP_TIMEOUT`,
 * `HTTP_NETWORK`, `HTTP_INVALID_JSON` (RetryableError, retries used up), `HTTP_BODY_SHAPE`,
 * `HTTP_PAGINATION_LOOP` and `HTTP_EMPTY_PAGES` (PermanentError), `HTTP_BAD_OPTION` (ConfigError).
 */
export interface HttpErrorDetails {
  /** The request's URL without credentials. */
  url: string;
  /** The last answer's status, if there was one. */
  status: number | undefined;
  /** Requests made for this page, retries included. */
  attempts: number;
}

export type HttpPermanentError = PermanentError & HttpErrorDetails;
export type HttpRetryableError = RetryableError & HttpErrorDetails;

/** A URL fit for messages and positions: no username or password. */
export function safeUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url);
  copy.username = copy.password = '';
  return copy.href;
}

export function statusText(response: Response): string {
  // node:http loads its whole client and server: only for an answer without a reason phrase.
  const reason = response.statusText || process.getBuiltinModule('node:http').STATUS_CODES[response.status] || '';
  return `${response.status} ${reason}`.trimEnd();
}

/** The start of a body on one line, with any echoed credential scrubbed before it is cut. */
export function excerpt(body: string, redactor: Redactor, length = 200): string {
  const line = redactor.string(body.replace(/\s+/g, ' ').trim());
  return line.length > length ? `${line.slice(0, length)}…` : line;
}

const HINTS: Record<number, string> = {
  401: 'check the credentials (token, API key, password)',
  403: 'the credentials are valid but not allowed to read this',
  404: 'check the URL and its path',
};

export function statusError(url: string, response: Response, body: string, redactor: Redactor, attempts: number): HttpPermanentError {
  const text = excerpt(body, redactor);
  const hint = HINTS[response.status];
  const message = `GET ${url} answered ${statusText(response)}: ${text || '(empty body)'}${hint === undefined ? '' : `; ${hint}`}`;
  const error = new PermanentError(message, { code: `HTTP_${response.status}` });
  return Object.assign(error, { url, status: response.status, attempts });
}

export interface Fault {
  code: string;
  reason: string;
  status: number | undefined;
  retryAfterMs: number | undefined;
  cause: unknown;
}

export function exhaustedError(url: string, fault: Fault, attempts: number): HttpRetryableError {
  const message =
    `GET ${url} failed ${attempts} time${attempts === 1 ? '' : 's'}, last with ${fault.reason}; ` +
    'the server or the network is having trouble: run again later, or raise maxRetries / timeoutMs';
  const error = new RetryableError(message, { code: fault.code, cause: fault.cause });
  return Object.assign(error, { url, status: fault.status, attempts });
}
