import type { Readable } from 'node:stream';

/**
 * Reads an object stream a buffer-full at a time. A `for await` over the stream costs a
 * promise per item, which for CSV rows or JSON tokens is most of the run time; this costs one
 * per batch. Ends with the stream and throws its error; stopping early destroys the stream.
 */
export async function* readBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake = (): void => {};
  const onReadable = (): void => wake();
  const onEnd = (): void => {
    ended = true;
    wake();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    wake();
  };
  const onClose = (): void => {
    if (!stream.readableEnded) failure ??= { error: new Error('the stream closed before its end') };
    wake();
  };
  stream.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onClose);
  try {
    for (;;) {
      const batch: T[] = [];
      for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null) batch.push(item);
      if (batch.length > 0) yield batch;
      else if (failure) throw failure.error;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onClose);
    stream.destroy();
  }
}
