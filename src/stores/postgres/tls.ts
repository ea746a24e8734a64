import { accessSync, constants, statSync } from 'node:fs';
import { ConfigError } from '../../errors/errors.ts';
import { isCertificateRejection } from '../../errors/certificate-codes.ts';

/**
 * sslmode as libpq (and psql) reads it, which is what a --db-url copied from a provider means:
 * `require` encrypts without checking the certificate, `verify-ca`/`verify-full` check it,
 * `prefer` and `allow` fall back to plain text when the server has no TLS. pg v8 reads prefer,
 * require and verify-ca as verify-full (a provider's `?sslmode=require` would fail on its own
 * certificate) unless the URL says `uselibpqcompat=true`, so ferry says it for the URL.
 * `no-verify` is pg's own (encrypt, check nothing) and is left to pg.
 */
const MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** The URL to connect with, and for prefer/allow the one to fall back to when the server refuses TLS. */
export interface TlsUrls {
  url: string;
  plain: string | undefined;
}

export function tlsUrls(url: string): TlsUrls {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, plain: undefined }; // a socket path or the like: pg reads it as it is
  }
  const params = parsed.searchParams;
  for (const name of FILES) checkFile(name, params.get(name));
  const mode = params.get('sslmode') ?? undefined;
  if (mode === undefined || params.has('uselibpqcompat')) return { url, plain: undefined };
  if (!MODES.includes(mode)) {
    throw new ConfigError(`--db-url (DATABASE_URL) has sslmode=${mode}: use ${MODES.slice(0, -1).join(', ')}`, {
      code: 'PG_TLS',
    });
  }
  if (mode === 'no-verify' || mode === 'disable') return { url, plain: undefined };
  const fallback = mode === 'prefer' || mode === 'allow';
  const plain = fallback ? withParams(parsed, { sslmode: 'disable' }) : undefined;
  return { url: withParams(parsed, { sslmode: fallback ? 'prefer' : mode, uselibpqcompat: 'true' }), plain };
}

const FILES = ['sslcert', 'sslkey', 'sslrootcert'];

/** pg reads these files as it parses the URL: one it cannot read is a ConfigError naming it. */
function checkFile(name: string, file: string | null): void {
  if (file === null) return;
  let problem: string | undefined;
  try {
    if (!statSync(file).isFile()) problem = 'not a file';
    else accessSync(file, constants.R_OK);
  } catch (error) {
    problem = (error as { code?: string }).code ?? String(error);
  }
  if (problem !== undefined) {
    throw new ConfigError(`--db-url (DATABASE_URL) has ${name}=${file}, which cannot be read (${problem})`, {
      code: 'PG_TLS',
    });
  }
}

function withParams(url: URL, params: Record<string, string>): string {
  const copy = new URL(url.href);
  for (const [name, value] of Object.entries(params)) copy.searchParams.set(name, value);
  return copy.href;
}

/** pg's message when the server answers a TLS request with no. */
export const NO_TLS = 'The server does not support SSL connections';

/**
 * A failure of the TLS the URL asks for, as a ConfigError (64): retrying cannot help, the URL's
 * sslmode or sslrootcert (or the server's TLS set-up) has to change. Undefined for any other error.
 */
export function tlsError(error: Error & { code?: string; path?: string; syscall?: string }): ConfigError | undefined {
  const options = { code: 'PG_TLS', cause: error };
  const { code = '' } = error;
  if (error.message === NO_TLS) {
    return new ConfigError(
      `PostgreSQL connecting: the server does not take TLS connections, and --db-url (DATABASE_URL) asks for one: use sslmode=prefer (TLS when the server has it) or sslmode=disable, or turn on ssl in the server`,
      options,
    );
  }
  if (isCertificateRejection(code)) {
    return new ConfigError(
      `PostgreSQL connecting: the server's certificate is not accepted (${error.message.split(';')[0]}): give the CA that signed it with sslrootcert=<file> in --db-url (DATABASE_URL), or use sslmode=require to encrypt without checking it`,
      options,
    );
  }
  if (code.startsWith('ERR_SSL_')) {
    return new ConfigError(`PostgreSQL connecting: TLS failed (${error.message}): check sslmode in --db-url`, options);
  }
  if (error.path !== undefined && (error.syscall === 'open' || error.syscall === 'read')) {
    return new ConfigError(
      `PostgreSQL connecting: cannot read ${error.path}, named by sslcert, sslkey or sslrootcert in --db-url (DATABASE_URL): ${code || error.message}`,
      options,
    );
  }
  if (/sslmode=verify-ca requires specifying a CA/.test(error.message)) {
    return new ConfigError(
      'PostgreSQL connecting: sslmode=verify-ca checks the certificate against a CA, and --db-url (DATABASE_URL) names none: add sslrootcert=<file>, or use sslmode=verify-full',
      options,
    );
  }
  return undefined;
}
