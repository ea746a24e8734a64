import path from 'node:path';
import { ConfigError } from '../../errors/errors.ts';
import type { FileSource } from './file-source.ts';
import { isGzip, type ReadOptions } from './open-stream.ts';
import { readCsv } from './read-csv.ts';
import { readJsonArray } from './read-json-array.ts';
import { readNdjson } from './read-ndjson.ts';
import { checkEncoding } from './text-decoding.ts';

/** The formats `readFile` reads; by default from the extension (`.csv`, `.tsv`, `.ndjson`/`.jsonl`, `.json`). */
export type FileFormat = 'csv' | 'tsv' | 'ndjson' | 'json';

export interface ReadFileOptions extends ReadOptions {
  /** Overrides the format the file name implies. */
  format?: FileFormat;
  /** CSV/TSV field separator. Default ',' (csv) or a tab (tsv). */
  delimiter?: string;
  /** JSON only: dot path to the array inside a top-level object, e.g. 'data.items'. */
  jsonPath?: string;
  /** CSV and NDJSON: the longest record to read. Default 64 MiB. */
  maxRecordBytes?: number;
  /** CSV/TSV only: called with the header's names once it is read, even when no record follows. */
  onHeader?: (names: readonly string[]) => void;
}

const FORMATS: readonly FileFormat[] = ['csv', 'tsv', 'ndjson', 'json'];
const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
};

/** The format a file name implies, looking through a `.gz` suffix; undefined if it implies none. */
export function formatOf(file: string): FileFormat | undefined {
  const name = isGzip(file) ? file.slice(0, -'.gz'.length) : file;
  return EXTENSIONS[path.extname(name).toLowerCase()];
}

/**
 * Streams the records of a CSV, TSV, NDJSON or JSON-array file, gzipped or not, picking the
 * reader from the file name unless `format` says otherwise, decoding `encoding` (default UTF-8,
 * checked: see ReadOptions). Bad options throw a ConfigError at the call, before the file is opened.
 */
export function readFile(
  file: string,
  options: ReadFileOptions & { format: 'csv' | 'tsv' },
): FileSource<Record<string, string>>;
export function readFile(file: string, options?: ReadFileOptions): FileSource<unknown>;
export function readFile(file: string, options: ReadFileOptions = {}): FileSource<unknown> {
  const { format = formatOf(file), delimiter, jsonPath, ...read } = options;
  if (format === undefined) {
    throw new ConfigError(
      `cannot tell the format of ${file} from its name: pass --format csv, tsv, ndjson or json (names ending in .csv, .tsv, .ndjson, .jsonl or .json, optionally .gz, need none)`,
    );
  }
  if (!FORMATS.includes(format))
    throw new ConfigError(`unknown format ${JSON.stringify(format)}: use csv, tsv, ndjson or json`);
  if (jsonPath !== undefined && format !== 'json')
    throw new ConfigError(`a JSON path (${jsonPath}) applies to JSON files only, and ${file} is read as ${format}`);
  if (delimiter !== undefined && format !== 'csv' && format !== 'tsv')
    throw new ConfigError(`a delimiter applies to CSV and TSV files only, and ${file} is read as ${format}`);
  checkEncoding(read.encoding);
  switch (format) {
    case 'csv':
    case 'tsv':
      return readCsv(file, { ...read, delimiter: delimiter ?? (format === 'tsv' ? '\t' : ',') });
    case 'ndjson':
      return readNdjson(file, read);
    case 'json':
      return readJsonArray(file, jsonPath === undefined ? read : { ...read, jsonPath });
  }
}
