import { isCertificateRejection } from '../../errors/certificate-codes.ts';
import { ConfigError, PermanentError } from '../../errors/errors.ts';
import { refusedPortAdvice } from './bad-ports.ts';
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
    // A port fetch refuses (one not on ferry's list: a newer Node's) is refused on every attempt.
    if (error instanceof TypeError && causeText(error) === 'bad port') {
      const message = `GET ${safeUrl(url)}: ${refusedPortAdvice(Number(url.port))}`;
      throw new PermanentError(message, { code: 'HTTP_BAD_PORT', cause: error });
    }
    const refused = error instanceof TypeError ? (tlsRefusal(url, error) ?? proxyRefusal(url, error)) : undefined;
    if (refused !== undefined) throw refused;
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

/**
 * The proxy (HTTPS_PROXY, HTTP_PROXY) answered the request, or the tunnel for it, with 407 (it
 * wants credentials) or 403 (its policy forbids the host): no retry changes either. undici says
 * so only deep in the error's causes.
 */
function proxyRefusal(url: URL, error: Error): ConfigError | undefined {
  let status: string | undefined;
  for (let cause: unknown = error; cause instanceof Error && status === undefined; cause = cause.cause)
    status = /^Proxy (?:response \((40[37])\)|Authentication Required \((407)\))/
      .exec(cause.message)
      ?.slice(1)
      .find(Boolean);
  if (status === undefined) return undefined;
  const advice =
    status === '407'
      ? "asks for credentials (407): write them into the variable's URL as user:password@ before the host, percent-encoding any @, : or / in them"
      : `refuses to reach ${url.host} (403): ask whoever runs it to allow the host, or list the host in NO_PROXY if it is reachable without the proxy`;
  return new ConfigError(`GET ${safeUrl(url)}: the proxy (HTTPS_PROXY or HTTP_PROXY) ${advice}`, {
    code: 'PROXY_REFUSED',
    cause: error,
  });
}

/** TLS handshakes that fail alike on every attempt: the server speaks no TLS there, or none Node accepts. */
const HANDSHAKE_REFUSED =
  /^ERR_SSL_(WRONG_VERSION_NUMBER|.*PROTOCOL_VERSION|.*HANDSHAKE_FAILURE|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|UNSAFE_LEGACY_RENEGOTIATION_DISABLED)$/;

/**
 * A certificate not accepted, or a TLS handshake no retry changes, as a ConfigError; else
 * undefined. Node's own advice for a certificate (--use-system-ca) is a flag a built job cannot
 * take; the environment variables work for both.
 */
function tlsRefusal(url: URL, error: TypeError): ConfigError | undefined {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  const said = typeof cause?.message === 'string' ? cause.message.split(';')[0] : causeText(error);
  let advice: string;
  if (isCertificateRejection(code)) {
    advice =
      `the server's certificate is not accepted (${said}); if a CA of your organisation signed it and this ` +
      'system trusts that CA, set NODE_USE_SYSTEM_CA=1, else give the CA certificate with ' +
      "NODE_EXTRA_CA_CERTS=<file.pem>; an expired certificate is for the server to renew, or this machine's clock is wrong";
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    advice = `the server does not answer TLS there (${code}): if the API is plain HTTP on this port, write http://`;
  } else if (HANDSHAKE_REFUSED.test(code)) {
    advice = `no TLS the server offers is one Node accepts (${code}): the server needs TLS 1.2 or newer`;
  } else {
    return undefined;
  }
  return new ConfigError(`GET ${safeUrl(url)}: ${advice}`, { code: 'HTTP_TLS', cause: error });
}
