import { parseJson } from '../../values/exact-json.ts';
import type { Outcome } from './attempt.ts';
import {
  bodyTooLargeError,
  malformedJsonError,
  notJsonError,
  notUtf8Error,
  statusText,
  tooDeepError,
  utf16Error,
  type Asked,
} from './http-errors.ts';
import type { RequestOptions } from './options.ts';
import type { Body } from './read-body.ts';
import { decodeUtf8 } from './utf8.ts';

/**
 * A 2xx answer's JSON (null for a 204), or a retryable fault when a JSON body is cut off (a
 * proxy truncating); a PermanentError when reading it again cannot help: too large, too deep, not
 * UTF-8, whole but malformed, or not JSON at all (a login page, a wrong URL).
 */
export function parseAnswer(asked: Asked, body: Body, options: RequestOptions): Outcome {
  const { response } = asked;
  // No Content: no records, as an empty array would say (APIs answer it for a page past the last).
  if (response.status === 204) return { ok: true, answer: { response, text: '', body: null } };
  if (!body.complete) throw bodyTooLargeError(asked, options.maxBodyBytes);
  const { text, error } = decodeUtf8(body.bytes);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (cause) {
    // Well-formed, but nested too deep for the exact-number parse: the same every time.
    if (cause instanceof RangeError) throw tooDeepError(asked, cause);
    const mediaType = mediaTypeOf(response);
    // UTF-16 (a BOM, or the NUL beside each ASCII character) is the same on every read.
    if (isUtf16(body.bytes)) throw utf16Error(asked, body.bytes.subarray(0, 4), mediaType);
    // JSON cut off on the way may come whole next time; a page of markup, or text that no JSON
    // starts with (JSONP's callback(, an XSSI guard )]}'), will not become JSON.
    if (!mayBeJson(mediaType) || isMarkup(text) || !startsLikeJson(text))
      throw notJsonError(asked, mediaType, text, options.redactor);
    if (!isCutOff(text, cause)) throw malformedJsonError(asked, mediaType, cause as Error, options.redactor);
    const reason = `${statusText(response)} whose body is not JSON (${(cause as Error).message}; ${text.length} chars)`;
    return {
      ok: false,
      fault: { code: 'HTTP_INVALID_JSON', reason, status: response.status, retryAfterMs: undefined, cause },
    };
  }
  // Well-formed JSON around bad bytes: the API's encoding is wrong, and retrying returns the same.
  if (error !== undefined) throw notUtf8Error(asked, error, body.bytes.length, mediaTypeOf(response));
  return { ok: true, answer: { response, text, body: parsed } };
}

/** Unlabelled, `application/json`, `text/json` or any `+json` type (`application/problem+json`). */
function mayBeJson(mediaType: string): boolean {
  const essence = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return essence === '' || essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

/**
 * Whether a parse error is one a body cut off on the way gives: the text ends before its value
 * does (V8: "Unexpected end of JSON input", or an error at the last position). An error before
 * the end (NDJSON's second line, NaN, a trailing comma, a warning printed after the JSON) is in
 * what the server sent. A message of another form counts as cut off: retrying is the safe side.
 */
function isCutOff(text: string, cause: unknown): boolean {
  const message = cause instanceof Error ? cause.message : '';
  if (message.startsWith('Unexpected token ')) return false; // V8 names the position of no other
  const at = /at position (\d+)/.exec(message)?.[1];
  return at === undefined || Number(at) >= text.trimEnd().length;
}

/** Blank, or the first character of a JSON value: what a body cut off on the way still starts with. */
function startsLikeJson(text: string): boolean {
  return /^\s*($|[[{"\-0-9tfn])/.test(text);
}

/** A byte-order mark of UTF-16, or a NUL in the first two bytes (JSON text holds none unescaped). */
function isUtf16(bytes: Buffer): boolean {
  const [first, second] = [bytes[0], bytes[1]];
  return (first === 0xff && second === 0xfe) || (first === 0xfe && second === 0xff) || first === 0 || second === 0;
}

/** HTML or XML (a login page, a captive portal, a proxy's error page), whatever its Content-Type says. */
function isMarkup(text: string): boolean {
  return /^\s*</.test(text);
}

/** The Content-Type as sent, trimmed, or '' when there is none. */
function mediaTypeOf(response: Response): string {
  return response.headers.get('content-type')?.trim() ?? '';
}
