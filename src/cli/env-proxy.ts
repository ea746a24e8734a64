import { ConfigError } from '../errors/errors.ts';

/** The proxy variables, lowercase first: Node (as curl) takes `https_proxy` over `HTTPS_PROXY`. */
const PROXIES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];
const BYPASS = ['no_proxy', 'NO_PROXY'];

/**
 * Sends the job's requests through HTTPS_PROXY / HTTP_PROXY, and around the hosts in NO_PROXY,
 * as curl does. Node ignores these variables unless told to (--use-env-proxy, NODE_USE_ENV_PROXY
 * or this), and behind a proxy every request failed as a network error. A proxy written as
 * host:port, which curl takes, is read as http://host:port. One that still is no URL is a
 * ConfigError naming the variable, never its value (it may hold a password). Node before
 * 24.14 lacks http.setGlobalProxyFromEnv: there the variables stay ignored.
 */
export function useEnvProxy(env: Readonly<Record<string, string | undefined>>): void {
  const proxyEnv: Record<string, string> = {};
  for (const name of PROXIES) {
    const value = env[name]?.trim();
    if (value) proxyEnv[name] = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  }
  if (Object.keys(proxyEnv).length === 0) return;
  for (const name of BYPASS) if (env[name] !== undefined) proxyEnv[name] = env[name];
  const http = process.getBuiltinModule('node:http');
  if (typeof http.setGlobalProxyFromEnv !== 'function') return;
  const invalid = PROXIES.filter((name) => name in proxyEnv && !isProxyUrl(proxyEnv[name] as string));
  if (invalid.length === 0 && succeeds(() => http.setGlobalProxyFromEnv(proxyEnv))) return;
  // Node refused what looked right: name every proxy variable set, as any could be the one.
  const names = (invalid.length > 0 ? invalid : PROXIES.filter((name) => name in proxyEnv)).join(', ');
  throw new ConfigError(
    `${names}: not a proxy URL the job can use; write it as http://host:port (https:// for a TLS proxy, user:password@ before the host if it needs them), or unset it`,
    { code: 'PROXY_INVALID' },
  );
}

/** Whether `step` ran without throwing. */
function succeeds(step: () => unknown): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

function isProxyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol, hostname } = new URL(value);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}
