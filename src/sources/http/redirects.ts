import { PermanentError } from '../../errors/errors.ts';
import { safeUrl, statusText } from './http-errors.ts';
import type { RequestOptions } from './options.ts';
import { refusedPort, refusedPortAdvice } from './bad-ports.ts';

/** The most redirects one request follows, as fetch's own limit. */
export const MAX_REDIRECTS = 20;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A GET whose redirects are followed here rather than by fetch, which would carry every header
 * but Authorization and Cookie to another origin (an `x-api-key` too), and would fail a loop or
 * a redirect to another scheme with a TypeError that reads as a network error, retried in vain.
 * Each hop gets the headers for its own URL; a loop or a target that is not HTTP fails for good.
 */
export async function getFollowing(url: URL, options: RequestOptions, signal: AbortSignal): Promise<Response> {
  const chain = [url];
  for (let at = url; ;) {
    checkPort(url, at);
    const response = await options.fetch(at, { headers: options.headersFor(at), signal, redirect: 'manual' });
    const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null;
    // A redirect without a Location is an answer like any other: the caller reports its status.
    if (location === null) return response;
    await response.body?.cancel();
    at = target(chain, location, response);
    chain.push(at);
  }
}

/** Where the redirect from the chain's last URL points, if ferry may follow it there. */
function target(chain: readonly URL[], location: string, response: Response): URL {
  const [first, from] = [chain[0] as URL, chain.at(-1) as URL];
  const fail = (what: string, code: string) =>
    new PermanentError(`GET ${safeUrl(first)}${what}; check the URL`, { code });
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw fail(` answered ${statusText(response)} with a Location that is not a URL`, 'HTTP_BAD_REDIRECT');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    const what = ` answered ${statusText(response)}, a redirect to ${next.protocol} (not HTTP), which is not followed`;
    throw fail(what, 'HTTP_BAD_REDIRECT');
  }
  // fetch refuses a URL with credentials: the configured ones travel as a header, not these.
  next.username = next.password = '';
  const cycle = chain.findIndex((visited) => visited.href === next.href);
  if (cycle !== -1) {
    const hops = [...chain.slice(cycle), next].map((hop) => safeUrl(hop)).join(' → ');
    throw fail(`: redirects that go round in circles (${hops})`, 'HTTP_REDIRECT_LOOP');
  }
  if (chain.length > MAX_REDIRECTS) {
    throw fail(`: more than ${MAX_REDIRECTS} redirects (the last to ${safeUrl(next)})`, 'HTTP_REDIRECT_LOOP');
  }
  return next;
}

/**
 * Before each request (a page's URL, a next link, each redirect): a port fetch refuses fails here,
 * for good, rather than as a network error that is retried.
 */
function checkPort(first: URL, at: URL): void {
  const port = refusedPort(at);
  if (port === undefined) return;
  const hop = at === first ? '' : `, redirected to ${safeUrl(at)}`;
  throw new PermanentError(`GET ${safeUrl(first)}${hop}: ${refusedPortAdvice(port)}`, { code: 'HTTP_BAD_PORT' });
}
