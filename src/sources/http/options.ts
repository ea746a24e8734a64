import { constants } from 'node:buffer';
import { ConfigError } from '../../errors/errors.ts';
import { Redactor } from '../../secrets/redact.ts';
import { isSecretName } from '../../secrets/secret-name.ts';
import { refusedPort, refusedPortAdvice } from './bad-ports.ts';

/**
 * How to find the next page. A `Link: <…>; rel="next"` header wins whenever present, unless
 * `followLink: false`. A short page (fewer records than asked for) ends `page` and `offset`
 * paging, unless the total (`totalHeader`/`totalField`) or the body (`has_more`, a next link) says
 * more remain. Pages that end while the body says more follow, in a form the pagination does not
 * read (a token, `has_more`), fail with `HTTP_MORE_PAGES` instead of ending short.
 *
 * - `{ type: 'link' }` (the default): follow `Link` headers (GitHub, many REST APIs) until none; without
 *   one, a next page's URL where APIs put it in the body (`next`, `links.next`, `_links.next.href`,
 *   `@odata.nextLink`, `nextRecordsUrl`, `next_page_url`, `paging.next`, `next_page`, `nextLink`…).
 * - `{ type: 'page', pageParam: 'page', sizeParam: 'per_page', size: 100 }`: `?page=1&per_page=100`, 2, 3…
 * - `{ type: 'cursor', field: 'meta.next', param: 'cursor' }`: the next token from the body, until it is empty.
 * - `{ type: 'next', field: 'links.next' }`: the next page's URL from the body, until it is empty.
 * - `{ type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 100 }`: `?offset=0&limit=100`, 100…
 * - `{ type: 'after', param: 'starting_after', field: 'id' }`: `?starting_after=<the last record's id>` (Stripe).
 */
export type Pagination =
  | {
      /** Follow `Link` headers only. */
      type: 'link';
    }
  | {
      /** Page numbers. */
      type: 'page';
      /** The query parameter of the page number, e.g. `page`. */
      pageParam: string;
      /** The query parameter of the page size, e.g. `per_page`; without it the size is only expected. */
      sizeParam?: string;
      /** Records per page asked for (and expected: a shorter page is the last). */
      size: number;
      /** The first page's number; default 1 (some APIs count from 0). */
      first?: number;
      /** Follow a `Link` next header when there is one; default true. */
      followLink?: boolean;
      /** Count pages from the last value read instead of from the start, for incremental reads. */
      keyset?: Keyset;
    }
  | {
      /** A next-page token in the body. */
      type: 'cursor';
      /** Dot path of the next token in the body, e.g. `meta.next_cursor`; empty or missing ends the read. */
      field: string;
      /** The query parameter that carries it, e.g. `cursor`. */
      param: string;
      /** Follow a `Link` next header when there is one; default true. */
      followLink?: boolean;
    }
  | {
      /** The next page's URL in the body (Django REST framework's `next`, JSON:API's `links.next`). */
      type: 'next';
      /**
       * Dot path of the URL (absolute, or relative to the page's), or of a link object with an
       * `href` (HAL's `_links.next`); null, empty or missing ends the read.
       */
      field: string;
      /** Follow a `Link` next header when there is one; default true. */
      followLink?: boolean;
    }
  | {
      /** Record offsets. */
      type: 'offset';
      /** The query parameter of the offset, e.g. `offset` (0 first). */
      offsetParam: string;
      /** The query parameter of the page size, e.g. `limit`. */
      limitParam: string;
      /** Records per page asked for. */
      limit: number;
      /** Follow a `Link` next header when there is one; default true. */
      followLink?: boolean;
    }
  | {
      /**
       * The last record's id carried to the next request (Stripe's `starting_after`), while the
       * body's flag says more follow (`has_more`), or, with no such flag, until an empty page.
       */
      type: 'after';
      /** The query parameter that carries it, e.g. `starting_after`. */
      param: string;
      /** The record field whose value it carries, e.g. `id`. */
      field: string;
      /** Follow a `Link` next header when there is one; default true. */
      followLink?: boolean;
    };

/**
 * Page numbers counted from a value instead of from the start, for a collection sorted by `field`
 * (ascending) and filtered by `param` (`field >= param`): each request asks `param` = the last value
 * read, from the first page again, so a record that moves to the end mid-run cannot shift an unread
 * one into a page already read. The page number grows only while a whole page shares one value.
 * Link headers are not followed; a page out of order fails with `HTTP_KEYSET_ORDER`.
 */
export interface Keyset {
  /** The record field the collection is sorted by, e.g. `updatedAt`. */
  field: string;
  /** The query parameter that filters by it, e.g. `since`. */
  param: string;
}

/** What `onRetry` is told before a retry: which one, after how long, and why. */
export interface RetryInfo {
  /** 1-based number of the retry about to happen. */
  attempt: number;
  /** How long ferry waits first (backoff with jitter, or the server's `Retry-After`). */
  delayMs: number;
  /** The error code the request would fail with now, e.g. `HTTP_503`, `HTTP_TIMEOUT`. */
  code: string;
  /** What went wrong, without credentials or header values. */
  reason: string;
  /** The URL asked for, without credentials. */
  url: string;
}

/**
 * What {@link httpSource} reads and how. Only `url` is required: by default the body is an array
 * of records, pages follow `Link` headers, each request may take 30 s and is retried 5 times on
 * network errors, timeouts, 202, 408, 425, 429, 5xx and a 403 that is a rate limit (honouring `Retry-After`).
 */
export interface HttpSourceOptions {
  /** May carry query params; credentials in it are sent as Basic auth and never printed. */
  url: string;
  /**
   * Sent with every request to the URL's origin (`authorization`, `x-api-key`…); those named like
   * a credential are secrets: never printed, and not sent to another origin a `Link` or a redirect points to.
   */
  headers?: Record<string, string>;
  /** Extra query params (e.g. `since`) set on the first URL and every URL ferry builds; Link URLs are followed as given. */
  query?: Record<string, string>;
  /** Dot path of the records array when the body is an object; without it the body must be an array. */
  recordsField?: string;
  /** How to find the next page; default `{ type: 'link' }`. */
  pagination?: Pagination;
  /**
   * Response header holding the total record count, e.g. `X-Total-Count` (first page): for
   * progress, and pages that end with fewer records fail (`HTTP_RECORDS_MISSING`, retryable).
   */
  totalHeader?: string;
  /** Dot path of the total record count in the first page's body; as `totalHeader`. */
  totalField?: string;
  /** Per request, headers and body; default 30 000. */
  timeoutMs?: number;
  /** Retries per page after the first attempt; default 5. */
  maxRetries?: number;
  /** The largest response body read, in bytes: default 64 MiB, at most `buffer.constants.MAX_STRING_LENGTH`. */
  maxBodyBytes?: number;
  /** How many empty pages in a row may point to a next page before the import fails; default 10. */
  maxEmptyPages?: number;
  /** The wait before a retry: random, up to min(maxMs, baseMs × 2^retry). */
  backoff?: {
    /** Default 500 ms. */
    baseMs?: number;
    /** Default 30 000 ms. */
    maxMs?: number;
  };
  /** Aborting it stops the read (pass `ctx.signal`): the request in flight is cancelled. */
  signal?: AbortSignal;
  /** Called before each retry, e.g. to log it: `onRetry: (r) => ctx.log.warn(r.reason, { attempt: r.attempt })`. */
  onRetry?: (info: RetryInfo) => void;
  /** The fetch to use; default the global one (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

export interface RequestOptions {
  /** The headers for a URL: secrets go to the configured URL's origin only, on Links and redirects alike. */
  headersFor(url: URL): Headers;
  timeoutMs: number;
  maxRetries: number;
  maxBodyBytes: number;
  baseMs: number;
  maxMs: number;
  signal: AbortSignal | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
  fetch: typeof globalThis.fetch;
  /** Scrubs header secrets that a server might echo in an error body. */
  redactor: Redactor;
  /**
   * For a prefetched page: settles when the job asks for it. Until then no attempt times out, so
   * a job that holds the event loop (synchronous writes) cannot time out a request it delayed.
   */
  asked?: Promise<void>;
}

export interface ResolvedOptions {
  /** The first page's URL, credentials removed, `query` applied. */
  base: URL;
  recordsField: string | undefined;
  pagination: Pagination;
  totalHeader: string | undefined;
  totalField: string | undefined;
  maxEmptyPages: number;
  request: RequestOptions;
}

/**
 * Far above a page of records (100 records of a few KB is well under 1 MiB), yet small enough that
 * the bytes, their text and the parsed records fit Node's default heap with room to spare.
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export function resolveOptions(options: HttpSourceOptions): ResolvedOptions {
  const base = parseUrl(options.url);
  const headers = new Headers(options.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const secrets: string[] = [];
  if (base.username !== '' || base.password !== '') {
    const user = `${decode(base.username)}:${decode(base.password)}`;
    if (!headers.has('authorization')) headers.set('authorization', `Basic ${Buffer.from(user).toString('base64')}`);
    secrets.push(user, decode(base.password));
    base.username = base.password = '';
  }
  // Judged by the names as given: Headers lowercases them, and X-ApiKeyV2 read as x-apikeyv2 no
  // longer shows its word "Key" (it would have followed a Link to another origin, unredacted).
  const given = new Set(
    Object.keys(options.headers ?? {})
      .filter(isSecretName)
      .map((n) => n.toLowerCase()),
  );
  const secret = (name: string) => name === 'authorization' || given.has(name) || isSecretName(name);
  for (const [name, value] of headers) if (secret(name)) secrets.push(...secretForms(value));
  for (const [name, value] of Object.entries(options.query ?? {})) base.searchParams.set(name, value);
  const foreign = new Headers([...headers].filter(([name]) => !secret(name)));
  const pagination = options.pagination ?? { type: 'link' };
  checkPagination(pagination);
  return {
    base,
    recordsField: options.recordsField,
    pagination,
    totalHeader: options.totalHeader,
    totalField: options.totalField,
    maxEmptyPages: count('maxEmptyPages', options.maxEmptyPages ?? 10),
    request: {
      headersFor: (url) => (url.origin === base.origin ? headers : foreign),
      timeoutMs: timer('timeoutMs', options.timeoutMs ?? 30_000),
      maxRetries: count('maxRetries', options.maxRetries ?? 5),
      maxBodyBytes: bodyLimit(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
      baseMs: count('backoff.baseMs', options.backoff?.baseMs ?? 500),
      maxMs: count('backoff.maxMs', options.backoff?.maxMs ?? 30_000),
      signal: options.signal,
      onRetry: options.onRetry,
      fetch: options.fetch ?? globalThis.fetch,
      redactor: new Redactor(secrets),
    },
  };
}

/** A header value and, for `Bearer xyz` / `Basic xyz`, the credential alone. */
function secretForms(value: string): string[] {
  const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
  return credential === undefined ? [value] : [value, credential];
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `httpSource url is not an absolute URL: "${new Redactor().string(url)}"; e.g. https://api.example.com/items`,
      { code: 'HTTP_BAD_OPTION' },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`httpSource url must be http or https, not ${parsed.protocol}`, { code: 'HTTP_BAD_OPTION' });
  }
  const port = refusedPort(parsed);
  if (port !== undefined) {
    const message = `httpSource url ${new Redactor().string(parsed.origin)}: ${refusedPortAdvice(port)}`;
    throw new ConfigError(message, { code: 'HTTP_BAD_PORT' });
  }
  return parsed;
}

function checkPagination(p: Pagination): void {
  if (p.type === 'page') positive('pagination.size', p.size);
  if (p.type === 'offset') positive('pagination.limit', p.limit);
}

/** Past MAX_STRING_LENGTH a body cannot become one string: the import would crash instead of failing. */
function bodyLimit(value: number): number {
  const most = constants.MAX_STRING_LENGTH;
  if (Number.isInteger(value) && value > 0 && value <= most) return value;
  const message = `httpSource maxBodyBytes must be a whole number from 1 to ${most}, got ${value}`;
  throw new ConfigError(message, { code: 'HTTP_BAD_OPTION' });
}

/** Node's timers hold at most 2^31 - 1 ms (24.8 days); a longer one would fire at once. */
function timer(name: string, value: number): number {
  if (positive(name, value) <= MAX_TIMER_MS) return value;
  throw new ConfigError(`httpSource ${name} must be at most ${MAX_TIMER_MS} (24.8 days), got ${value}`, {
    code: 'HTTP_BAD_OPTION',
  });
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(name: string, value: number): number {
  if (Number.isFinite(value) && value > 0) return value;
  throw new ConfigError(`httpSource ${name} must be a number above 0, got ${value}`, { code: 'HTTP_BAD_OPTION' });
}

function count(name: string, value: number): number {
  if (Number.isInteger(value) && value >= 0) return value;
  throw new ConfigError(`httpSource ${name} must be a whole number >= 0, got ${value}`, { code: 'HTTP_BAD_OPTION' });
}
