import { PermanentError, RetryableError } from '../../errors/errors.ts';
import type { Redactor } from '../../secrets/redact.ts';
import type { Utf8Error } from './utf8.ts';

/**
 * Fields of the errors about a request (status and retry errors), so callers need not parse messages.
 *
 * Codes: `HTTP_<status>` for an answer (PermanentError for a 4xx other than 408/425/429 or any
 * other non-2xx; RetryableError for 202, 408, 425, 429, 5xx once retries are used up), `HTTP_TIMEOUT`,
 * `HTTP_NETWORK`, `HTTP_INVALID_JSON` (RetryableError, retries used up: a JSON body cut off),
 * `HTTP_BAD_ENCODING` (the same, for a body that does not decompress as its
 * Content-Encoding says), `HTTP_RECORDS_MISSING` (RetryableError: fewer records than the total
 * announced), `HTTP_NOT_JSON` (a 2xx of another media type), `HTTP_BODY_TOO_LARGE`,
 * `HTTP_INVALID_UTF8`, `HTTP_BODY_ERROR`, `HTTP_BODY_SHAPE`, `HTTP_BODY_TOO_DEEP`, `HTTP_PAGINATION_LOOP`,
 * `HTTP_EMPTY_PAGES`, `HTTP_MORE_PAGES`, `HTTP_KEYSET_ORDER`, `HTTP_REDIRECT_LOOP`, `HTTP_BAD_REDIRECT` and
 * `HTTP_BAD_LINK` (PermanentError), `HTTP_BAD_OPTION` (ConfigError).
 */
export interface HttpErrorDetails {
  /** The request's URL without credentials. */
  url: string;
  /** The last answer's status, if there was one. */
  status: number | undefined;
  /** Requests made for this page, retries included. */
  attempts: number;
}

/** A request that failed for good (exit 65), with its URL, status and attempts. */
export type HttpPermanentError = PermanentError & HttpErrorDetails;
/** A request that kept failing after its retries (exit 75), with its URL, status and attempts. */
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

/** The request an error is about: its URL without credentials, its answer, the attempts for this page. */
export interface Asked {
  url: string;
  response: Response;
  attempts: number;
}

export function statusError(asked: Asked, body: string, redactor: Redactor): HttpPermanentError {
  const hint = HINTS[asked.response.status];
  const what = `: ${excerpt(body, redactor) || '(empty body)'}${hint === undefined ? '' : `; ${hint}`}`;
  return answerError(asked, what, `HTTP_${asked.response.status}`);
}

export function bodyTooLargeError(asked: Asked, maxBytes: number): HttpPermanentError {
  const what =
    ` with a body over the limit of ${mebibytes(maxBytes)} (${maxBytes} bytes), so the rest was not read; ` +
    'ask for smaller pages (a page-size parameter), or raise maxBodyBytes if pages this large are expected';
  return answerError(asked, what, 'HTTP_BODY_TOO_LARGE');
}

export function notJsonError(asked: Asked, mediaType: string, body: string, redactor: Redactor): HttpPermanentError {
  // [^<>]: a try ends at the next tag, so a body of "<title " repeated costs linear time, not quadratic.
  const title = /<title[^<>]*>([^<]*)<\/title>/i.exec(body)?.[1];
  const seen =
    title === undefined ? excerpt(body, redactor) || '(empty body)' : `a page titled "${excerpt(title, redactor)}"`;
  const what =
    ` with ${mediaType || 'no Content-Type'}, not JSON: ${seen}; check the URL (a web page instead of the API?) ` +
    'and the credentials (a login page?)';
  return answerError(asked, what, 'HTTP_NOT_JSON');
}

export function malformedJsonError(
  asked: Asked,
  mediaType: string,
  cause: Error,
  redactor: Redactor,
): HttpPermanentError {
  const labelled = mediaType === '' ? '' : ` (${mediaType})`;
  const what =
    `${labelled} with a body that is whole but not JSON (${excerpt(cause.message, redactor, 160)}), so reading it again ` +
    'returns the same; the API sends a broken answer (NDJSON, NaN, a trailing comma, a warning printed beside ' +
    'the JSON?), which its owner should fix';
  return answerError(asked, what, 'HTTP_NOT_JSON');
}

export function tooDeepError(asked: Asked, cause: RangeError): HttpPermanentError {
  const what =
    ` with JSON that could not be read (${cause.message}): its values are nested too deep; ` +
    'the API sends a broken answer, which its owner should fix';
  return answerError(asked, what, 'HTTP_BODY_TOO_DEEP');
}

export function notUtf8Error(asked: Asked, bad: Utf8Error, size: number, mediaType: string): HttpPermanentError {
  const bytes = [...bad.bytes].map((byte) => `0x${byte.toString(16).padStart(2, '0')}`).join(' ');
  const labelled = mediaType === '' ? '' : ` (${mediaType})`;
  const what =
    `${labelled} with a body that is not UTF-8 at byte ${bad.offset} of ${size} (${bytes}); JSON must be UTF-8 ` +
    '(RFC 8259): the API likely sends Latin-1 or Windows-1252 text, which its owner should fix';
  return answerError(asked, what, 'HTTP_INVALID_UTF8');
}

export function utf16Error(asked: Asked, start: Uint8Array, mediaType: string): HttpPermanentError {
  const bytes = [...start].map((byte) => `0x${byte.toString(16).padStart(2, '0')}`).join(' ');
  const labelled = mediaType === '' ? '' : ` (${mediaType})`;
  const what =
    `${labelled} with a body in UTF-16 (it starts ${bytes}); JSON must be UTF-8 (RFC 8259), ` +
    "which the API's owner should fix";
  return answerError(asked, what, 'HTTP_INVALID_UTF8');
}

/** "GET <url> answered <status>" and what was wrong with the answer, as a PermanentError. */
function answerError(asked: Asked, what: string, code: string): HttpPermanentError {
  const error = new PermanentError(`GET ${asked.url} answered ${statusText(asked.response)}${what}`, { code });
  return Object.assign(error, { url: asked.url, status: asked.response.status, attempts: asked.attempts });
}

function mebibytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return Number.isInteger(mib) ? `${mib} MiB` : `${+mib.toFixed(2)} MiB`;
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
