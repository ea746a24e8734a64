import { PermanentError, RetryableError } from '../../errors/errors.ts';
import type { Answer } from './attempt.ts';
import { getPath } from './dot-path.ts';
import { safeUrl } from './http-errors.ts';
import { isLastByLink, nextLink } from './link-header.ts';
import { lastCursorText } from './keyset.ts';
import type { Keyset, Pagination } from './options.ts';

type PagePagination = Extract<Pagination, { type: 'page' }>;
type AfterPagination = Extract<Pagination, { type: 'after' }>;

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
  /** Whether the count's place was given (totalField): then no other body field is taken for one. */
  totalGiven?: boolean;
}

export function firstUrl(base: URL, p: Pagination): URL {
  if (p.type === 'page') return withParams(base, pageParams(p, p.first ?? 1));
  if (p.type === 'offset') return withParams(base, { [p.offsetParam]: '0', [p.limitParam]: String(p.limit) });
  return new URL(base);
}

/** The next page's URL, or undefined when the collection is exhausted. */
export function nextUrl(base: URL, p: Pagination, page: PageState): URL | undefined {
  // Zendesk's incremental exports keep a next URL on their last page: this flag is what ends them.
  if (getPath(page.answer.body, 'end_of_stream') === true) return undefined;
  // A keyset read asks from the last value read: a Link's page number would bring back the shifts it avoids.
  const keyset = p.type === 'page' ? p.keyset : undefined;
  if (p.type === 'link' || (p.followLink !== false && keyset === undefined)) {
    // Relative to where the page came from, after any redirect.
    const link = nextLink(page.answer.response.headers.get('link'), from(page));
    if (link !== undefined) return followed(link, page, "its Link header's");
    if (p.type === 'link') return bodyLink(page) ?? ended(page);
    // Page numbers past the last answer 400 (WordPress) or 422 (GitHub), failing a full read.
    if (isLastByLink(page.answer.response.headers.get('link'))) return undefined;
  }
  switch (p.type) {
    case 'page':
      if (isLastPage(page, p.size, keyset === undefined)) return undefined;
      return keyset === undefined
        ? withParams(base, pageParams(p, (p.first ?? 1) + page.pages))
        : keysetUrl(base, p, keyset, page);
    case 'offset':
      // Asked from the records read, an empty page would be asked for again, whatever its flag says.
      return page.records.length === 0 || isLastPage(page, p.limit, true)
        ? undefined
        : withParams(base, { [p.offsetParam]: String(page.recordsRead), [p.limitParam]: String(p.limit) });
    case 'after':
      return afterUrl(base, p, page);
    case 'cursor': {
      const token = getPath(page.answer.body, p.field);
      return token === undefined || token === null || token === ''
        ? undefined
        : withParams(base, { [p.param]: String(token) });
    }
    case 'next': {
      const value = linkValue(getPath(page.answer.body, p.field));
      if (value === undefined || value === null || value === '') return undefined;
      const link = bodyUrl(page, p.field, value);
      if (link !== undefined) return link;
      const message =
        `GET ${safeUrl(page.url)}: the body's ${p.field} is ${JSON.stringify(value).slice(0, 80)}, not a URL; ` +
        'if it is a token the next request carries as a query parameter, use pagination type "cursor" with its param';
      throw new PermanentError(message, { code: 'HTTP_BAD_LINK' });
    }
  }
}

/** Where APIs that send no Link header put the next page's URL in the body (null, or no field, on the last page). */
const BODY_LINKS = [
  'next', // Django REST framework, and many more
  'links.next', // JSON:API
  '_links.next', // HAL: { href }
  '@odata.nextLink', // OData, Microsoft Graph
  'nextRecordsUrl', // Salesforce
  'next_page_url', // Laravel
  'paging.next', // Facebook Graph; HubSpot: { after, link }
  'next_page', // Zendesk
  'nextLink', // Azure
  'next_url',
  'nextUrl',
  'nextPageUrl',
  'pagination.next_url', // Instagram
  'after_url', // Zendesk's cursor-based incremental export
  'next_page_uri', // Twilio (a path)
  'meta.next_page_url', // Twilio
  'pagination.next_page', // Calendly
  'pages.next', // Intercom (a URL, or { starting_after })
];

/** Where APIs say more pages follow in a form that needs telling how to ask for them: a token, a flag. */
const MORE_SIGNS = [
  'has_more', // Stripe, Notion
  'hasMore',
  'has_next',
  'hasNext',
  'next_cursor', // Notion
  'nextCursor',
  'next_page_token',
  'nextPageToken', // Google
  'meta.next_cursor',
  'meta.has_more',
  'response_metadata.next_cursor', // Slack
  'pagination.next_cursor',
  'pagination.has_more',
  'next_token', // X (Twitter) API v2, in meta
  'meta.next_token',
  'cursor', // Square: there only while more follow
  'pages.next.starting_after', // Intercom
  'additional_data.pagination.more_items_in_collection', // Pipedrive
];

/** The flags among MORE_SIGNS: what says more follow even of an empty page, where a link or token may be left over. */
const MORE_FLAGS = ['has_more', 'hasMore', 'has_next', 'hasNext', 'meta.has_more', 'pagination.has_more'];

function flagSaysMore(page: PageState): boolean {
  const flag = (field: string) => saysYes(getPath(page.answer.body, field));
  return MORE_FLAGS.some(flag) || booleanSign(page) !== undefined;
}

/** Flags that say more follow only as a boolean, their names being too common for more. */
function booleanSign(page: PageState): string | undefined {
  if (getPath(page.answer.body, 'more') === true) return 'more: true'; // PagerDuty
  if (getPath(page.answer.body, 'end_of_stream') === false) return 'end_of_stream: false'; // Zendesk
  return undefined;
}

/** The page's URL after any redirect: what a relative next link is relative to. */
function from(page: PageState): URL {
  return new URL(page.answer.response.url || page.url);
}

/** Without a Link header: the next page's URL where the body has one, if it does. */
function bodyLink(page: PageState): URL | undefined {
  for (const field of BODY_LINKS) {
    const link = bodyUrl(page, field, linkValue(getPath(page.answer.body, field)));
    if (link !== undefined) return link;
  }
  return undefined;
}

/** The body's `value` at `field` as the next page to fetch, when it is a URL (absolute or relative to the page's). */
function bodyUrl(page: PageState, field: string, value: unknown): URL | undefined {
  if (typeof value !== 'string' || !isUrlLike(value)) return undefined;
  return followed(new URL(value, from(page)), page, `the body's ${field}'s`);
}

/** Whether the body says more pages follow: a next link, a token or a flag. */
function saysMore(page: PageState): boolean {
  return moreSign(page, true) !== undefined;
}

/**
 * Where APIs say how many records the whole collection has: Jira's `total` (beside `startAt`),
 * GitHub's `total_count`, Salesforce's `totalSize`, Elasticsearch's `hits.total(.value)`…
 */
const TOTALS = [
  'total',
  'total_count',
  'totalCount',
  'totalSize',
  'total_results',
  'totalResults',
  'hits.total.value',
  'hits.total',
  'meta.total',
  'meta.total_count',
  'meta.pagination.total',
  'pagination.total',
  'total_items', // Mailchimp
];

/** The first of the TOTALS the body has as a whole number, and where. */
export function bodyTotal(body: unknown): { field: string; count: number } | undefined {
  for (const field of TOTALS) {
    const count = getPath(body, field);
    if (typeof count === 'number' && Number.isInteger(count) && count >= 0) return { field, count };
  }
  return undefined;
}

/**
 * The first field of the body that says more pages follow, and what it says. With `totals`, a
 * count of the whole collection above the records read says so too, and `countField` names it.
 */
function moreSign(page: PageState, totals: boolean): { said: string; countField?: string } | undefined {
  for (const field of [...BODY_LINKS, ...MORE_SIGNS]) {
    const value = linkValue(getPath(page.answer.body, field));
    if (saysYes(value)) return { said: `${field}: ${JSON.stringify(value).slice(0, 80)}` };
  }
  const flag = booleanSign(page);
  if (flag !== undefined) return { said: flag };
  const total = totals ? bodyTotal(page.answer.body) : undefined;
  if (total !== undefined && total.count > page.recordsRead)
    return { said: `${total.field}: ${total.count}, ${page.recordsRead} records read`, countField: total.field };
  // Airtable's next token is `offset`, there only while more follow. An offset API echoing where
  // its page starts writes a number there (or digits), which says nothing.
  const offset = getPath(page.answer.body, 'offset');
  if (typeof offset === 'string' && !/^\s*\d*\s*$/.test(offset))
    return { said: `offset: ${JSON.stringify(offset).slice(0, 80)}` };
  return undefined;
}

/**
 * A flag that is true, a token or link that is there, a page number: more follow. The ends APIs
 * write otherwise count as none: false, null, '', and Twitter's `next_cursor: 0` or PHP's
 * `has_more: 0` (and their strings).
 */
function saysYes(value: unknown): boolean {
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return !['', '0', 'false', 'null'].includes(value.trim().toLowerCase());
  return value === true;
}

/** The pages end here, unless the body says more follow in a form no option told ferry to read. */
function ended(page: PageState): undefined {
  // A total counts on the first page alone: its records and its total are one answer's, while
  // after several pages, records deleted during the read explain a shortfall as well.
  const sign = page.records.length === 0 ? undefined : moreSign(page, page.pages === 1 && page.totalGiven !== true);
  if (sign === undefined) return undefined;
  // A field named like a count may be something else (an order's total amount): naming the real one settles it.
  const notCount =
    sign.countField === undefined
      ? ''
      : `; if ${sign.countField} is not the number of records, name the field that is (totalField; rest-import: --total-field)`;
  const message =
    `GET ${safeUrl(page.url)}: no Link header and no next URL in the body, yet the body says more pages follow ` +
    `(${sign.said}); importing this page alone would leave the rest out: set the pagination option (a cursor token, ` +
    `the next URL field, page numbers, record offsets or the last record's id)${notCount}`;
  throw new PermanentError(message, { code: 'HTTP_MORE_PAGES' });
}

/** A link object stands for its URL: `href` (HAL, JSON:API 1.1), `link` (HubSpot), `uri` (Asana). */
function linkValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  for (const key of ['href', 'link', 'uri'])
    if (Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  return value;
}

/** A URL, absolute or relative to the page's; not a bare token, which would read as a relative path. */
function isUrlLike(value: string): boolean {
  return /^(https?:\/\/|\/|\?|\.\.?\/)/i.test(value);
}

/**
 * A next link as it is fetched: HTTP only, without credentials (those configured travel as a
 * header). `whose` says where it was found, for the message: "its Link header's".
 */
function followed(link: URL, page: PageState, whose: string): URL {
  checkLink(link, page.url, whose);
  link.username = link.password = '';
  return link;
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
function checkLink(link: URL, from: URL, whose: string): void {
  if (link.protocol === 'http:' || link.protocol === 'https:') return;
  const message =
    `GET ${safeUrl(from)}: ${whose} next page is a ${link.protocol} URL, not HTTP, which is not followed; ` +
    'check the URL, or the pagination option';
  throw new PermanentError(message, { code: 'HTTP_BAD_LINK' });
}

/**
 * A short page ends the collection, unless the total (or, when `body` is set, the body) says more
 * remain: a server that caps the page size below the one asked for would otherwise end every
 * import after its first page. An empty page ends it too, unless the body's flag says more
 * follow (`has_more: true`): APIs that filter a page after cutting it can leave it empty midway.
 */
function isLastPage(page: PageState, size: number, body: boolean): boolean {
  if (page.records.length === 0) return !(body && flagSaysMore(page));
  if (page.records.length >= size) return false;
  return (page.total === undefined || page.recordsRead >= page.total) && !(body && saysMore(page));
}

/** The page after the last record's id, while the body's flag says more follow (or, with none, until an empty page). */
function afterUrl(base: URL, p: AfterPagination, page: PageState): URL | undefined {
  if (page.records.length === 0) return undefined;
  const body = page.answer.body;
  const flagged = [...MORE_FLAGS, 'more', 'end_of_stream'].some((field) => getPath(body, field) !== undefined);
  if (flagged && !flagSaysMore(page)) return undefined;
  const last = lastCursorText(page.records, p.field);
  if (last !== undefined) return withParams(base, { [p.param]: last });
  const message =
    `GET ${safeUrl(page.url)}: no record of the page has a "${p.field}" (a string or a number), so the page ` +
    `after it cannot be asked for with ${p.param}; check the field's name`;
  throw new PermanentError(message, { code: 'HTTP_BODY_SHAPE' });
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
