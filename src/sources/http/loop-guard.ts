import { PermanentError } from '../../errors/errors.ts';
import { safeUrl } from './http-errors.ts';
import type { Pagination } from './options.ts';

export interface LoopGuard {
  /** Before fetching: throws if this URL was read already. */
  visit(url: URL): void;
  /** After fetching: throws if a non-empty page repeats the previous one byte for byte. */
  read(url: URL, text: string, recordCount: number): void;
}

/**
 * Stops pagination that goes round in circles, which would otherwise import forever: a server
 * repeating a cursor, or one that ignores a misnamed page param and answers page 1 every time.
 */
export function loopGuard(pagination: Pagination): LoopGuard {
  const seen = new Set<string>();
  let previous: string | undefined;
  const fail = (url: URL, why: string) =>
    new PermanentError(`GET ${safeUrl(url)}: ${why}, so the pagination goes round in circles; check the pagination option (type "${pagination.type}")`, {
      code: 'HTTP_PAGINATION_LOOP',
    });
  return {
    visit(url) {
      if (seen.has(url.href)) throw fail(url, 'this page was read already');
      seen.add(url.href);
    },
    read(url, text, recordCount) {
      if (recordCount > 0 && text === previous) throw fail(url, 'the page is the same as the one before');
      previous = text;
    },
  };
}
