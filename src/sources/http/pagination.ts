import { PermanentError, RetryableError } from '../../errors/errors.ts';
import type { Answer } from './attempt.ts';
import { getPath } from './dot-path.ts';
import { safeUrl } from './http-errors.ts';
import { nextLink } from './link-header.ts';
import { lastCursorText } from './keyset.ts';
import type { Keyset, Pagination } from './options.ts';

type PagePagination = Extract<Pagination, { type: 'page' }>;

/** What is known after reading a page, enough to find the next one. */
export interface PageState {
  url: URL;
  answer: Answer;
  records: unknown[];
  /** Pages read so far, this one included. */
  pages: number;
  /** Records read so far, this one included (with a keyset, each once). */
  recordsRead: number;
  total: number | undefined;
}

export function firstUrl(base: URL, p: Pagination): URL {
  if (p.type === 'page') return withParams(base, pageParams(p, p.first ?? 1));
  if (p.type === 'offset') return withParams(base, { [p.offsetParam]: '0', [p.limitParam]: String(p.limit) });
  return new URL(base);
}

/** The next page's URL, or undefined when the collection is exhausted. */
export function nextUrl(base: URL, p: Pagination, page: PageState): URL | undefined {
  // A keyset read asks from the last value read: a Link's page number would bring back the shifts it avoids.
  const keyset = p.type === 'page' ? p.keyset : undefined;
  if (p.type === 'link' || (p.followLink !== false && keyset === undefined)) {
    // Relative to where the page came from, after any redirect.
    const link = nextLink(page.answer.response.headers.get('link'), page.answer.response.url || page.url);
    if (link !== undefined) checkLink(link, page.url);
    // fetch refuses URLs with credentials; the configured ones already travel as a header.
    if (link !== undefined) link.username = link.password = '';
    if (link !== undefined || p.type === 'link') return link;
  }
  switch (p.type) {
    case 'page':
      if (isLastPage(page, p.size)) return undefined;
      return keyset === undefined
        ? withParams(base, pageParams(p, (p.first ?? 1) + page.pages))
        : keysetUrl(base, p, keyset, page);
    case 'offset':
      return isLastPage(page, p.limit)
        ? undefined
        : withParams(base, { [p.offsetParam]: String(page.recordsRead), [p.limitParam]: String(p.limit) });
    case 'cursor': {
      const token = getPath(page.answer.body, p.field);
      return token === undefined || token === null || token === ''
        ? undefined
        : withParams(base, { [p.param]: String(token) });
    }
  }
}

/**
 * At the natural end of the pages: fewer records than the total announced is rows missing, not
 * a success (a Link header lost on the way, an API that ends its pages early). Records deleted
 * during the read explain it too, and a run after them finds the total right: hence retryable.
 */
export function checkComplete(last: PageState): void {
  if (last.total === undefined || last.recordsRead >= last.total) return;
  const message =
    `GET ${safeUrl(last.url)}: the pages ended after ${last.recordsRead} records, but the first page ` +
    `announced ${last.total}; records deleted during the read would explain it (run again), or the ` +
    'API ends its pages early: check the pagination option';
  throw new RetryableError(message, { code: 'HTTP_RECORDS_MISSING' });
}

/** A next link that is not HTTP (file:, javascript:) is the server's error, and asking again will not mend it. */
function checkLink(link: URL, from: URL): void {
  if (link.protocol === 'http:' || link.protocol === 'https:') return;
  const message =
    `GET ${safeUrl(from)}: its Link header's next page is a ${link.protocol} URL, not HTTP, which is not followed; ` +
    'check the URL, or the pagination option';
  throw new PermanentError(message, { code: 'HTTP_BAD_LINK' });
}

/**
 * A short page ends the collection, unless the total says more remain: a server that caps the
 * page size below the one asked for would otherwise end every import after its first page.
 */
function isLastPage(page: PageState, size: number): boolean {
  if (page.records.length === 0) return true;
  return page.records.length < size && (page.total === undefined || page.recordsRead >= page.total);
}

/** From the last value read, at the first page; the next page of the same value when a whole page had it. */
function keysetUrl(base: URL, p: PagePagination, keyset: Keyset, page: PageState): URL {
  const asked = page.url.searchParams.get(keyset.param);
  const last = lastCursorText(page.records, keyset.field);
  if (last !== undefined && last !== asked)
    return withParams(base, { ...pageParams(p, p.first ?? 1), [keyset.param]: last });
  const number = Number(page.url.searchParams.get(p.pageParam)) + 1;
  return withParams(base, { ...pageParams(p, number), ...(asked === null ? {} : { [keyset.param]: asked }) });
}

function pageParams(p: PagePagination, n: number): Record<string, string> {
  return p.sizeParam === undefined
    ? { [p.pageParam]: String(n) }
    : { [p.pageParam]: String(n), [p.sizeParam]: String(p.size) };
}

function withParams(base: URL, params: Record<string, string>): URL {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}
