import type { SourceItem } from '../source-item.ts';
import { throwIfCancelled } from './open-stream.ts';

/**
 * The records of a file: one at a time (`for await … of`), or a read's worth at a time
 * (`batches()`), which costs one await per batch instead of one per record.
 */
export interface FileSource<T = unknown> extends AsyncIterable<SourceItem<T>> {
  /** The same records in arrays, each what one read of the file completed; reads the file anew. */
  batches(): AsyncIterable<SourceItem<T>[]>;
}

/**
 * A FileSource over a reader of batches; each iteration reads the file again. Item by item, an
 * aborted `signal` stops it at the next record; by batches, at the next batch.
 */
export function fileSource<T>(batches: () => AsyncGenerator<SourceItem<T>[]>, signal?: AbortSignal): FileSource<T> {
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) {
        for (const item of batch) {
          throwIfCancelled(signal);
          yield item;
        }
      }
    },
  };
}
