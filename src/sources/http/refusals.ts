import { isCertificateRejection } from '../../errors/certificate-codes.ts';
import { ConfigError, PermanentError } from '../../errors/errors.ts';
import { refusedPortAdvice } from './bad-ports.ts';
import { safeUrl } from './http-errors.ts';

/**
 * A request refused before any answer, alike on every attempt, as the error that says what to
 * change; undefined for a network error that a retry may get past.
 */
export function refusal(url: URL, error: TypeError): ConfigError | PermanentError | undefined {
  // A port fetch refuses (one not on ferry's list: a newer Node's) is refused on every attempt.
  if (causeText(error) === 'bad port') {
    const message = `GET ${safeUrl(url)}: ${refusedPortAdvice(Number(url.port))}`;
    return new PermanentError(message, { code: 'HTTP_BAD_PORT', cause: error });
  }
  return tlsRefusal(url, error) ?? proxyRefusal(url, error);
}

/** undici hides the useful part ("ECONNRESET", "other side closed") in the cause. */
export function causeText(error: TypeError): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return [cause?.code, cause?.message].filter((part) => typeof part === 'string' && part !== '').join(' ');
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
