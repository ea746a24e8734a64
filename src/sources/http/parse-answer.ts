import { parseJson } from '../../values/exact-json.ts';
import type { Outcome } from './attempt.ts';
import { bodyTooLargeError, notUtf8Error, statusText, type Asked } from './http-errors.ts';
import type { Body } from './read-body.ts';
import { decodeUtf8 } from './utf8.ts';

/**
 * A 2xx answer's JSON, or a retryable fault when the body is cut off or garbled (a proxy
 * truncating); a PermanentError when reading it again cannot help: too large, or not UTF-8.
 */
export function parseAnswer(asked: Asked, body: Body, maxBodyBytes: number): Outcome {
  const { response } = asked;
  if (!body.complete) throw bodyTooLargeError(asked, maxBodyBytes);
  const { text, error } = decodeUtf8(body.bytes);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (cause) {
    const reason = `${statusText(response)} whose body is not JSON (${(cause as Error).message}; ${text.length} chars)`;
    return { ok: false, fault: { code: 'HTTP_INVALID_JSON', reason, status: response.status, retryAfterMs: undefined, cause } };
  }
  // Well-formed JSON around bad bytes: the API's encoding is wrong, and retrying returns the same.
  if (error !== undefined) throw notUtf8Error(asked, error, body.bytes.length, mediaTypeOf(response));
  return { ok: true, answer: { response, text, body: parsed } };
}

/** The Content-Type as sent, trimmed, or '' when there is none. */
function mediaTypeOf(response: Response): string {
  return response.headers.get('content-type')?.trim() ?? '';
}
