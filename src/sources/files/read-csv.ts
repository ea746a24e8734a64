import { ConfigError } from '../../errors/errors.ts';
import { CsvRows } from './csv-rows.ts';
import { fileSource, type FileSource } from './file-source.ts';
import { MAX_RECORD_BYTES } from './record-limit.ts';
import { openStream, throwIfCancelled, type ReadOptions } from './open-stream.ts';
import { checkEncoding } from './text-decoding.ts';

export interface ReadCsvOptions extends ReadOptions {
  /**
   * The field separator, one or more characters. Default: the one an Excel `sep=;` first line
   * names (that line is skipped), else `,` when the header line has one outside quotes, else the
   * one of `;` tab `|` it has most of (`,` when it has none).
   */
  delimiter?: string;
  /** The longest record to read; a longer one ends the read with a PermanentError. Default 64 MiB. */
  maxRecordBytes?: number;
  /** Called with the header's names once it is read: a file of a header alone yields no record. */
  onHeader?: (names: readonly string[]) => void;
}

/**
 * Streams the rows of a CSV file (RFC 4180) as records keyed by the header's names. A row
 * with the wrong number of fields is yielded as `ok: false` and the stream goes on; a broken
 * header or broken quoting throws a PermanentError. A bad delimiter or encoding throws a
 * ConfigError at the call.
 */
export function readCsv(file: string, options: ReadCsvOptions = {}): FileSource<Record<string, string>> {
  checkEncoding(options.encoding);
  const { delimiter } = options;
  if (delimiter !== undefined) checkDelimiter(delimiter);
  const settings = {
    delimiter,
    maxRecordBytes: options.maxRecordBytes ?? MAX_RECORD_BYTES,
    onHeader: options.onHeader,
  };
  return fileSource(async function* () {
    const input = await openStream(file, options);
    const decoder = new TextDecoder(); // UTF-8 already (openStream decodes and checks); drops a BOM
    const rows = new CsvRows(file, settings);
    try {
      for await (const chunk of input) {
        throwIfCancelled(options.signal);
        const items = rows.push(decoder.decode(chunk as Buffer, { stream: true }));
        if (items.length > 0) yield items;
        rows.throwIfBroken();
      }
      const items = [...rows.push(decoder.decode()), ...rows.end()];
      if (items.length > 0) yield items;
      rows.throwIfBroken();
    } finally {
      input.destroy();
    }
  }, options.signal);
}

function checkDelimiter(delimiter: string): void {
  if (delimiter === '' || /["\r\n]/.test(delimiter)) {
    const why = delimiter === '' ? 'it is empty' : 'it may not contain a quote or a line break';
    throw new ConfigError(`delimiter ${JSON.stringify(delimiter)} cannot be used: ${why}`);
  }
  // "\t" as typed in a .env file or quoted in a shell is two characters: as a delimiter it matches
  // nowhere, and every line would be read as one field.
  const escape = /^\\([a-z])$/i.exec(delimiter)?.[1];
  if (escape !== undefined) {
    const meant = escape === 't' ? 'a tab' : 'a control character';
    throw new ConfigError(
      `delimiter ${JSON.stringify(delimiter)} is a backslash and a letter, not ${meant}: give the character itself ($'\\${escape}' in a shell)${escape === 't' ? ', or read the file as TSV' : ''}`,
    );
  }
}
