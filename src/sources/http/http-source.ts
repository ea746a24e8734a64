import { isFerryError } from '../../errors/errors.ts';
import type { SourceItem } from '../source-item.ts';
import { getPath } from './dot-path.ts';
import { safeUrl } from './http-errors.ts';
import { keysetPages } from './keyset.ts';
import { loopGuard } from './loop-guard.ts';
import { resolveOptions, type HttpSourceOptions, type ResolvedOptions } from './options.ts';
import { bodyTotal, checkComplete, firstUrl, nextUrl, type PageState } from './pagination.ts';
import { recordsOf } from './records-of.ts';
import { retryingGet } from './retrying-get.ts';

/** One page of a collection as `pages()` yields it. */
export interface Page {
  /** 1-based. */
  number: number;
  /** The page's URL without credentials. */
  url: string;
  /** Its records; with a keyset, without those the page before ended with (they come again first). */
  records: unknown[];
  /** The whole parsed body (for fields beside the records: a next cursor, a total); null for a 204 No Content. */
  body: unknown;
  /** The response's headers. */
  headers: Headers;
}

/** What {@link httpSource} returns: the collection, read page by page or record by record. */
export interface HttpSource {
  /** Each call reads the collection again from the first page. */
  pages(): AsyncIterable<Page>;
  /**
   * The records as source items (`{ ok: true, record, position: { source, page, index } }`), for
   * a job's `read`; each call reads the collection again.
   */
  records(): AsyncIterable<SourceItem<unknown>>;
  /** The total record count from `totalHeader` / `totalField`, known once the first page is read. */
  readonly total: number | undefined;
}

/** A paginated JSON collection over HTTP, read page by page with retries. */
export function httpSource(options: HttpSourceOptions): HttpSource {
  const resolved = resolveOptions(options);
  let total: number | undefined;

  /**
   * Pages in order, the next one requested as soon as its URL is known: while the job stores page
   * N, page N+1 travels. Still one request at a time, and a failed prefetch surfaces only when
   * the job asks for that page, after it had all of the page before. Its timeout runs from that
   * moment too: a job busy with synchronous writes would otherwise time out a request it delayed.
   */
  async function* pages(): AsyncGenerator<Page> {
    const guard = loopGuard(resolved.pagination, resolved.maxEmptyPages);
    const keyset = resolved.pagination.type === 'page' ? resolved.pagination.keyset : undefined;
    const unread = keyset === undefined ? (_url: URL, records: unknown[]) => records : keysetPages(keyset.field);
    const done = new AbortController();
    const signal = eitherSignal(resolved.request.signal, done.signal);
    const get = async (url: URL, asked?: Promise<void>) => {
      guard.visit(url);
      return retryingGet(url, { ...resolved.request, signal, ...(asked ? { asked } : {}) });
    };
    let url: URL | undefined = firstUrl(resolved.base, resolved.pagination);
    let pending = settled(get(url));
    let ask = () => {};
    let state: PageState | undefined;
    try {
      while (url !== undefined) {
        ask(); // the per-request timeout of a prefetched page runs from now
        const answer = await pending.catch((error: unknown) => {
          if (isPastTheEnd(error, state)) return undefined;
          throw error;
        });
        if (answer === undefined) break;
        const records =
          answer.response.status === 204
            ? []
            : recordsOf(answer.body, resolved.recordsField, safeUrl(url), resolved.request.redactor);
        guard.read(url, resolved.recordsField === undefined ? answer.text : JSON.stringify(records), records.length);
        const fresh = unread(url, records);
        if (state === undefined) total = totalOf(answer.response, answer.body, resolved);
        state = {
          url,
          answer,
          records,
          pages: (state?.pages ?? 0) + 1,
          recordsRead: (state?.recordsRead ?? 0) + fresh.length,
          total,
          totalGiven: resolved.totalField !== undefined,
        };
        const following = nextUrl(resolved.base, resolved.pagination, state);
        if (following !== undefined) {
          // A turn of the event loop on each side of the request. Before: undici puts the
          // connection that just answered back in its pool (else it opens another, and the
          // connect waits for the job). After: fetch puts the request on the wire only on a
          // later turn, which a job writing synchronously would not give until it is done.
          await new Promise(setImmediate);
          const asked = new Promise<void>((resolve) => (ask = resolve));
          pending = settled(get(following, asked));
          await new Promise(setImmediate);
        }
        yield {
          number: state.pages,
          url: safeUrl(url),
          records: fresh,
          body: answer.body,
          headers: answer.response.headers,
        };
        url = following;
      }
      if (state !== undefined) checkComplete(state);
    } finally {
      // A job that stops early (an error, a break) leaves no request behind it.
      done.abort();
    }
  }

  async function* records(): AsyncGenerator<SourceItem<unknown>> {
    for await (const page of pages()) {
      for (const [index, record] of page.records.entries()) {
        resolved.request.signal?.throwIfAborted();
        yield { ok: true, record, position: { source: page.url, page: page.number, index } };
      }
    }
  }

  return {
    pages,
    records,
    get total() {
      return total;
    },
  };
}

/**
 * A 404 for the page after every record the total announced: an API that answers a page number
 * past its last with 404 (Django REST framework does) when the last page was full. Without a total
 * that says so, a 404 stays an error: it could as well be an outage.
 */
function isPastTheEnd(error: unknown, state: PageState | undefined): boolean {
  if (state === undefined || state.total === undefined || state.recordsRead < state.total) return false;
  return isFerryError(error) && error.code === 'HTTP_404';
}

/** Marks a prefetch handled: a job that never asks for it must not die of its rejection. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function eitherSignal(job: AbortSignal | undefined, own: AbortSignal): AbortSignal {
  return job === undefined ? own : AbortSignal.any([job, own]);
}

function totalOf(response: Response, body: unknown, options: ResolvedOptions): number | undefined {
  const header = options.totalHeader === undefined ? undefined : response.headers.get(options.totalHeader);
  const field = options.totalField === undefined ? undefined : getPath(body, options.totalField);
  for (const value of [header, field]) {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  }
  // Offsets shift when records are deleted mid-read, skipping as many unread ones: the first
  // page's own count (Jira's total) tells, when no total was configured.
  const offsets = options.pagination.type === 'offset' && options.totalField === undefined;
  return offsets ? bodyTotal(body)?.count : undefined;
}
