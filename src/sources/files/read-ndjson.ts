import { parseJson } from '../../values/exact-json.ts';
import type { Position, SourceItem } from '../source-item.ts';
import { fileSource, type FileSource } from './file-source.ts';
import { openStream, throwIfCancelled, type ReadOptions } from './open-stream.ts';
import { readLines } from './read-lines.ts';
import { MAX_RECORD_BYTES, formatBytes } from './record-limit.ts';
import { checkEncoding } from './text-decoding.ts';

export interface ReadNdjsonOptions extends ReadOptions {
  /** The longest line to read; a longer one is yielded as `ok: false`. Default 64 MiB. */
  maxRecordBytes?: number;
}

/**
 * Streams an NDJSON (JSON Lines) file: one JSON value per line. Blank lines are skipped; a line
 * that is not JSON is yielded as `ok: false` and the stream goes on. A bad encoding throws a
 * ConfigError at the call.
 */
export function readNdjson(file: string, options: ReadNdjsonOptions = {}): FileSource<unknown> {
  checkEncoding(options.encoding);
  return fileSource(() => values(file, options), options.signal);
}

async function* values(file: string, options: ReadNdjsonOptions): AsyncGenerator<SourceItem<unknown>[]> {
  const maxBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  const input = await openStream(file, options);
  let line = 0;
  let row = 0;
  try {
    for await (const batch of readLines(input, maxBytes)) {
      throwIfCancelled(options.signal);
      const items: SourceItem<unknown>[] = [];
      for (const { text, tooLong } of batch) {
        line++;
        // A byte-order mark starts each file of `cat a.ndjson b.ndjson`, not only the first: no JSON value starts so.
        const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
        if (json.trim() === '') continue;
        const position = { source: file, row: ++row, line };
        if (tooLong) {
          const reason = `line ${line} is longer than ${formatBytes(maxBytes)}: is the file one JSON value per line?`;
          items.push({ ok: false, raw: `${json}…`, reason, position });
        } else {
          items.push(parseLine(json, position));
        }
      }
      if (items.length > 0) yield items;
    }
  } finally {
    input.destroy();
  }
}

function parseLine(text: string, position: Required<Pick<Position, 'source' | 'row' | 'line'>>): SourceItem<unknown> {
  try {
    return { ok: true, record: parseJson(text), position };
  } catch (error) {
    return {
      ok: false,
      raw: text,
      reason: `line ${position.line} is not valid JSON: ${(error as Error).message}`,
      position,
    };
  }
}
