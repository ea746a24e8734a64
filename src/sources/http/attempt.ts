import { ConfigError } from '../../errors/errors.ts';
import { isRateLimited, rateLimitResetMs } from './rate-limit.ts';
import { parseRetryAfter } from './retry-after.ts';
import { excerpt, safeUrl, statusError, statusText, type Asked, type Fault } from './http-errors.ts';
import type { RequestOptions } from './options.ts';
import { parseAnswer } from './parse-answer.ts';
import { EXCERPT_BYTES, readBody, type Body } from './read-body.ts';
import { getFollowing } from './redirects.ts';
import { decodeUtf8 } from './utf8.ts';

export interface Answer {
  response: Response;
  /** The raw body, kept to notice a server that answers every page alike. */
  text: string;
  body: unknown;
}

export type Outcome = { ok: true; answer: Answer } | { ok: false; fault: Fault };

/**
 * One GET with its own timeout covering headers and body. Resolves to the parsed answer or a
 * retryable fault; throws a PermanentError for a status retrying cannot fix, and the caller's
 * `signal.reason` when it aborts.
 */
export async function attempt(url: URL, options: RequestOptions, attempts: number): Promise<Outcome> {
  const timeout = deadline(options.timeoutMs, options.asked);
  const signal = options.signal === undefined ? timeout.signal : AbortSignal.any([options.signal, timeout.signal]);
  let response: Response;
  let body: Body;
  let encoding: string | null = null;
  try {
    response = await getFollowing(url, options, signal);
    encoding = response.headers.get('content-encoding');
    // Of an error answer, only the start is shown.
    body = await readBody(response, response.ok ? options.maxBodyBytes : EXCERPT_BYTES);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.signal.aborted) return fail('HTTP_TIMEOUT', `no complete answer within ${options.timeoutMs} ms`, error);
    if (error instanceof TypeError && encoding !== null && isDecodeError(error)) {
      const reason = `a body that does not decode as its Content-Encoding (${encoding}) says (${causeText(error)})`;
      return fail('HTTP_BAD_ENCODING', reason, error);
    }
    if (error instanceof TypeError && isBadPort(error)) throw badPort(url, error);
    if (error instanceof TypeError) return fail('HTTP_NETWORK', networkReason(error), error);
    throw error;
  } finally {
    timeout.clear();
  }
  return classify({ url: safeUrl(url), response, attempts }, body, options);
}

/** Aborts `ms` after `from` settles (at once when there is none); clear() when done. */
function deadline(ms: number, from: Promise<void> | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const start = () => {
    if (!cleared) timer = setTimeout(() => controller.abort(), ms).unref();
  };
  if (from === undefined) start();
  else void from.then(start);
  return {
    signal: controller.signal,
    clear: () => {
      cleared = true;
      clearTimeout(timer);
    },
  };
}

function classify(asked: Asked, body: Body, options: RequestOptions): Outcome {
  const { response } = asked;
  const { status } = response;
  // 202 Accepted: the answer is being made (GitHub's statistics); its body holds no records yet.
  if (status >= 200 && status <= 299 && status !== 202) return parseAnswer(asked, body, options);
  const text = decodeUtf8(body.bytes).text;
  const limited = isRateLimited(status, response.headers);
  if (RETRIED.has(status) || (status >= 500 && status <= 599) || limited) {
    const said = `${statusText(response)}${limited ? ' (a rate limit)' : ''}`;
    const reason = `${said}: ${excerpt(text, options.redactor) || '(empty body)'}`;
    const retryAfterMs =
      parseRetryAfter(response.headers.get('retry-after')) ??
      (limited || status === 429 ? rateLimitResetMs(response.headers) : undefined);
    return { ok: false, fault: { code: `HTTP_${status}`, reason, status, retryAfterMs, cause: undefined } };
  }
  throw statusError(asked, text, options.redactor);
}

/** Asked again: Accepted (not ready yet), Request Timeout, Too Early (RFC 8470), Too Many Requests. */
const RETRIED = new Set([202, 408, 425, 429]);

function fail(code: string, reason: string, cause: unknown): Outcome {
  return { ok: false, fault: { code, reason, status: undefined, retryAfterMs: undefined, cause } };
}

/** undici hides the useful part ("ECONNRESET", "other side closed") in the cause. */
function networkReason(error: TypeError): string {
  const detail = causeText(error);
  return `a network error (${error.message}${detail === '' ? '' : `: ${detail}`})`;
}

/** fetch refuses the ports browsers block (6000, 6667, 10080…) before it connects: no retry can help. */
function isBadPort(error: TypeError): boolean {
  return (error.cause as { message?: unknown } | undefined)?.message === 'bad port';
}

function badPort(url: URL, error: TypeError): ConfigError {
  return new ConfigError(
    `GET ${safeUrl(url)}: fetch refuses its port (or a redirect's) as one browsers block as unsafe, such as ` +
      '6000, 6665-6669 or 10080 (https://fetch.spec.whatwg.org/#port-blocking): serve the API on another port',
    { code: 'HTTP_BAD_PORT', cause: error },
  );
}

function causeText(error: TypeError): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return [cause?.code, cause?.message].filter((part) => typeof part === 'string' && part !== '').join(' ');
}

/**
 * A decompressor's error (zlib's Z_DATA_ERROR, brotli's ERR__ERROR_FORMAT_…, zstd's ZSTD_error_…):
 * a body labelled gzip that is not, or one damaged on the way. Still retried: the two look alike.
 */
function isDecodeError(error: TypeError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(Z_|ERR__ERROR_|ZSTD_error_)/.test(code);
}
