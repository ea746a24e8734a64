import { CsvError, parse, type Parser } from 'csv-parse';
import { pipeline } from 'node:stream';
import { ConfigError, PermanentError, isFerryError } from '../../errors/errors.ts';
import type { SourceItem } from '../source-item.ts';
import { checkHeader, recordOf } from './csv-header.ts';
import { csvLines, recordText } from './csv-lines.ts';
import { readBatches } from './read-batches.ts';
import { MAX_RECORD_BYTES, formatBytes } from './record-limit.ts';
import { openStream, throwIfCancelled, type ReadOptions } from './open-stream.ts';
import { checkEncoding } from './text-decoding.ts';

export interface ReadCsvOptions extends ReadOptions {
  /** The field separator, one or more characters. Default ','. */
  delimiter?: string;
  /** The longest record to read; a longer one ends the read with a PermanentError. Default 64 MiB. */
  maxRecordBytes?: number;
  /** Called with the header's names once it is read: a file of a header alone yields no record. */
  onHeader?: (names: readonly string[]) => void;
}

type CsvSettings = ReadCsvOptions & Required<Pick<ReadCsvOptions, 'delimiter' | 'maxRecordBytes'>>;

interface RawRow {
  record: string[];
  raw: string;
}

/**
 * Streams the rows of a CSV file (RFC 4180) as records keyed by the header's names. A row
 * with the wrong number of fields is yielded as `ok: false` and the stream goes on; a broken
 * header or broken quoting throws a PermanentError. A bad delimiter or encoding throws a
 * ConfigError at the call.
 */
export function readCsv(
  file: string,
  options: ReadCsvOptions = {},
): AsyncGenerator<SourceItem<Record<string, string>>> {
  checkEncoding(options.encoding);
  const settings = {
    ...options,
    delimiter: options.delimiter ?? ',',
    maxRecordBytes: options.maxRecordBytes ?? MAX_RECORD_BYTES,
  };
  return rows(file, csvParser(settings), settings);
}

async function* rows(
  file: string,
  parser: Parser,
  options: CsvSettings,
): AsyncGenerator<SourceItem<Record<string, string>>> {
  const input = await openStream(file, options);
  pipeline(input, parser, noop);
  const toItem = itemMaker(file, options.onHeader);
  try {
    for await (const batch of readBatches<RawRow>(parser)) {
      for (const raw of batch) {
        const item = toItem(raw);
        if (item === undefined) continue;
        throwIfCancelled(options.signal);
        yield item;
      }
    }
  } catch (error) {
    throw csvError(file, error, options.maxRecordBytes);
  } finally {
    parser.destroy();
  }
}

/** Turns parsed rows into items, in order: the first is the header, blank lines are skipped. */
function itemMaker(
  file: string,
  onHeader: ReadCsvOptions['onHeader'],
): (row: RawRow) => SourceItem<Record<string, string>> | undefined {
  const lines = csvLines();
  let header: string[] | undefined;
  let row = 0;
  return ({ record, raw }) => {
    const line = lines.start(raw);
    if (isBlank(record, raw)) return undefined;
    if (header === undefined) {
      header = checkHeader(file, record);
      onHeader?.(header);
      return undefined;
    }
    const position = { source: file, row: ++row, line };
    if (record.length === header.length) return { ok: true, record: recordOf(header, record), position };
    const reason = `row ${row} has ${record.length} fields, the header has ${header.length}`;
    return { ok: false, raw: recordText(raw), reason, position };
  };
}

function csvParser({ delimiter, maxRecordBytes }: CsvSettings): Parser {
  if (/["\r\n]/.test(delimiter))
    throw new ConfigError(
      `delimiter ${JSON.stringify(delimiter)} cannot be used: it may not contain a quote or a line break`,
    );
  try {
    // Lengths are checked here, not by csv-parse, so a ragged row becomes an item, not an end.
    // Blank lines come through as records (see csv-lines.ts); any line ending ends a record,
    // so a file with mixed endings reads right.
    return parse({
      delimiter,
      bom: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: false,
      record_delimiter: ['\r\n', '\n', '\r'],
      max_record_size: maxRecordBytes,
    });
  } catch (error) {
    throw new ConfigError(`CSV options cannot be used: ${(error as Error).message}`, { cause: error });
  }
}

function isBlank(record: string[], raw: string): boolean {
  return record.length === 1 && record[0] === '' && recordText(raw) === '';
}

function csvError(file: string, error: unknown, maxRecordBytes: number): unknown {
  if (isFerryError(error) || !(error instanceof CsvError)) return error;
  // csv-parse parses a whole chunk ahead of the reader, so its own counts say where it stopped.
  const records = typeof error['records'] === 'number' ? error['records'] : 0;
  const where = records === 0 ? 'in the header' : `at row ${records}`;
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new PermanentError(
      `${file}: row ${records} is longer than ${formatBytes(maxRecordBytes)}: most likely a quote that is never closed`,
      { code: 'CSV_INVALID', cause: error },
    );
  }
  const quoting = /QUOTE/.test(error.code) ? ' (inside a quoted field a quote is written twice: "")' : '';
  return new PermanentError(`${file}: not valid CSV ${where}: ${error.message}${quoting}`, {
    code: 'CSV_INVALID',
    cause: error,
  });
}

function noop(): void {}
