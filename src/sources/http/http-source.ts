import type { SourceItem } from '../source-item.ts';
import { getPath } from './dot-path.ts';
import { safeUrl } from './http-errors.ts';
import { loopGuard } from './loop-guard.ts';
import { resolveOptions, type HttpSourceOptions, type ResolvedOptions } from './options.ts';
import { firstUrl, nextUrl, type PageState } from './pagination.ts';
import { recordsOf } from './records-of.ts';
import { retryingGet } from './retrying-get.ts';

export interface Page {
  /** 1-based. */
  number: number;
  /** The page's URL without credentials. */
  url: string;
  records: unknown[];
  body: unknown;
  headers: Headers;
}

export interface HttpSource {
  /** Each call reads the collection again from the first page. */
  pages(): AsyncIterable<Page>;
  records(): AsyncIterable<SourceItem<unknown>>;
  /** The total record count from `totalHeader` / `totalField`, known once the first page is read. */
  readonly total: number | undefined;
}

/** A paginated JSON collection over HTTP, read page by page with retries. */
export function httpSource(options: HttpSourceOptions): HttpSource {
  const resolved = resolveOptions(options);
  let total: number | undefined;

  async function* pages(): AsyncGenerator<Page> {
    const guard = loopGuard(resolved.pagination);
    let url: URL | undefined = firstUrl(resolved.base, resolved.pagination);
    let state: PageState | undefined;
    while (url !== undefined) {
      guard.visit(url);
      const answer = await retryingGet(url, resolved.request);
      const records = recordsOf(answer.body, resolved.recordsField, safeUrl(url));
      guard.read(url, answer.text, records.length);
      if (state === undefined) total = totalOf(answer.response, answer.body, resolved);
      state = { url, answer, records, pages: (state?.pages ?? 0) + 1, recordsRead: (state?.recordsRead ?? 0) + records.length, total };
      yield { number: state.pages, url: safeUrl(url), records, body: answer.body, headers: answer.response.headers };
      url = nextUrl(resolved.base, resolved.pagination, state);
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

function totalOf(response: Response, body: unknown, options: ResolvedOptions): number | undefined {
  const header = options.totalHeader === undefined ? undefined : response.headers.get(options.totalHeader);
  const field = options.totalField === undefined ? undefined : getPath(body, options.totalField);
  for (const value of [header, field]) {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  }
  return undefined;
}
