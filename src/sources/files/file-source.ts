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

// Records handed over at once, at most; between two pieces of one read the event loop gets a turn.
const PIECE = 256;

/**
 * A FileSource over a reader of batches; each iteration reads the file again. Item by item, an
 * aborted `signal` stops it at the next record; by batches, at the next batch.
 */
export function fileSource<T>(batches: () => AsyncGenerator<SourceItem<T>[]>, signal?: AbortSignal): FileSource<T> {
  return {
    batches: () => inPieces(batches()),
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

/**
 * A read's records in pieces, a turn of the event loop between two: a server store's statements
 * (each waits for one) then advance while the job works through the read, not only between reads.
 */
async function* inPieces<T>(batches: AsyncGenerator<SourceItem<T>[]>): AsyncGenerator<SourceItem<T>[]> {
  for await (const batch of batches) {
    if (batch.length <= PIECE) yield batch;
    else
      for (let i = 0; i < batch.length; i += PIECE) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        yield batch.slice(i, i + PIECE);
      }
  }
}
