import { createHash } from 'node:crypto';
import { PermanentError } from '../../errors/errors.ts';
import { safeUrl } from './http-errors.ts';
import type { Pagination } from './options.ts';

export interface LoopGuard {
  /** Before fetching: throws if this URL was read already, or if too many empty pages came in a row. */
  visit(url: URL): void;
  /**
   * After fetching: throws if a non-empty page repeats the previous one's records (asked from one
   * keyset value). `text` is the page's records as JSON: the body when it is the array, else its
   * records alone, since a body around them may differ each time (a request id, the server's clock).
   */
  read(url: URL, text: string, recordCount: number): void;
}

/**
 * Stops pagination that goes round in circles or runs on empty, which would otherwise import
 * forever: a server repeating a cursor, one that ignores a misnamed page param and answers page 1
 * every time, one that wraps its page numbers round, or one that answers empty pages that each
 * point to another.
 */
export function loopGuard(pagination: Pagination, maxEmptyPages: number): LoopGuard {
  const seen = new Set<string>();
  const pageOf = new Map<string, URL>(); // the digest of each page's records, and where it was read
  let previous: string | undefined;
  // Keyset reads ask a page again from a new value, and it may well be the same.
  const keyset = pagination.type === 'page' ? pagination.keyset : undefined;
  const askedFrom = (url: URL | undefined) => (keyset === undefined ? null : url?.searchParams.get(keyset.param));
  let emptyInARow = 0;
  let last: URL | undefined;
  const check = `check the pagination option (type "${pagination.type}")`;
  const fail = (url: URL, why: string) =>
    new PermanentError(`GET ${safeUrl(url)}: ${why}, so the pagination goes round in circles; ${check}`, {
      code: 'HTTP_PAGINATION_LOOP',
    });
  return {
    visit(url) {
      if (last !== undefined && emptyInARow > maxEmptyPages) throw emptyPagesError(last, emptyInARow, check);
      if (seen.has(url.href)) throw fail(url, 'this page was read already');
      seen.add(url.href);
    },
    read(url, text, recordCount) {
      const repeated = recordCount > 0 && text === previous && askedFrom(url) === askedFrom(last);
      if (repeated) throw fail(url, 'the page has the same records as the one before');
      // Without a keyset, no page comes twice: a server that wraps page numbers round (page 4 of
      // 3 is page 1 again) would otherwise import forever, each page unlike the one before it.
      if (keyset === undefined && recordCount > 0) {
        const digest = createHash('sha256').update(text).digest('base64');
        const first = pageOf.get(digest);
        if (first !== undefined) throw fail(url, `the page has the same records as ${safeUrl(first)}`);
        pageOf.set(digest, url);
      }
      previous = text;
      emptyInARow = recordCount === 0 ? emptyInARow + 1 : 0;
      last = url;
    },
  };
}

function emptyPagesError(last: URL, pages: number, check: string): PermanentError {
  const message =
    `GET ${safeUrl(last)}: ${pages} pages in a row had no records, yet each pointed to a next page, so the ` +
    `import would never end; ${check} and recordsField, or raise maxEmptyPages if the API really sends that many`;
  return new PermanentError(message, { code: 'HTTP_EMPTY_PAGES' });
}
