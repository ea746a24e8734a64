import path from 'node:path';
import { ConfigError } from '../../errors/errors.ts';
import type { FileSource } from './file-source.ts';
import { isGzip, stdinHint, type ReadOptions } from './open-stream.ts';
import { readCsv } from './read-csv.ts';
import { readJsonArray } from './read-json-array.ts';
import { readNdjson } from './read-ndjson.ts';
import { readXlsx } from './read-xlsx.ts';
import { checkEncoding } from './text-decoding.ts';

/**
 * The formats `readFile` reads; by default from the extension (`.csv`, `.tsv`, `.ndjson`/`.jsonl`,
 * `.json`, `.xlsx`/`.xlsm`).
 */
export type FileFormat = 'csv' | 'tsv' | 'ndjson' | 'json' | 'xlsx';

export interface ReadFileOptions extends ReadOptions {
  /** Overrides the format the file name implies. */
  format?: FileFormat;
  /** CSV/TSV field separator. Default: a tab (tsv); for a CSV, the one the file shows (see readCsv). */
  delimiter?: string;
  /** JSON only: dot path to the array inside a top-level object, e.g. 'data.items'. */
  jsonPath?: string;
  /** CSV and NDJSON: the longest record to read. Default 64 MiB. */
  maxRecordBytes?: number;
  /** CSV, TSV and XLSX: called with the header's names once it is read, even when no record follows. */
  onHeader?: (names: readonly string[]) => void;
  /** XLSX only: the worksheet to read, by its tab's name. Default: the first not hidden. */
  sheet?: string;
  /** XLSX only: called with the name of the sheet being read, before its rows. */
  onSheet?: (name: string) => void;
}

const FORMATS: readonly FileFormat[] = ['csv', 'tsv', 'ndjson', 'json', 'xlsx'];
const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.xlsx': 'xlsx',
  '.xlsm': 'xlsx',
};

/** The format a file name implies, looking through a `.gz` suffix; undefined if it implies none. */
export function formatOf(file: string): FileFormat | undefined {
  const name = isGzip(file) ? file.slice(0, -'.gz'.length) : file;
  return EXTENSIONS[path.extname(name).toLowerCase()];
}

/**
 * The format to read `file` as: `format` when given, else the one its name implies; else a
 * ConfigError that says which names need no format given.
 */
export function formatFor(file: string, format?: FileFormat): FileFormat {
  const found = format ?? formatOf(file);
  if (found !== undefined) return found;
  throw new ConfigError(
    `cannot tell the format of ${file} from its name: pass --format csv, tsv, ndjson, json or xlsx (names ending in .csv, .tsv, .ndjson, .jsonl or .json, optionally .gz, or .xlsx or .xlsm need none)${stdinHint(file)}`,
  );
}

/**
 * Streams the records of a CSV, TSV, NDJSON or JSON-array file, gzipped or not, or of a sheet of
 * an XLSX workbook, picking the reader from the file name unless `format` says otherwise,
 * decoding `encoding` (default UTF-8, checked: see ReadOptions). Bad options throw a ConfigError
 * at the call, before the file is opened. An XLSX record holds typed values (see readXlsx).
 */
export function readFile(
  file: string,
  options: ReadFileOptions & { format: 'csv' | 'tsv' },
): FileSource<Record<string, string>>;
export function readFile(file: string, options?: ReadFileOptions): FileSource<unknown>;
export function readFile(file: string, options: ReadFileOptions = {}): FileSource<unknown> {
  const { delimiter, jsonPath, sheet, onSheet, ...read } = options;
  const format = formatFor(file, options.format);
  if (!FORMATS.includes(format))
    throw new ConfigError(`unknown format ${JSON.stringify(format)}: use csv, tsv, ndjson, json or xlsx`);
  if (sheet !== undefined && format !== 'xlsx')
    throw new ConfigError(`a sheet (${sheet}) applies to XLSX workbooks only, and ${file} is read as ${format}`);
  if (jsonPath !== undefined && format !== 'json')
    throw new ConfigError(`a JSON path (${jsonPath}) applies to JSON files only, and ${file} is read as ${format}`);
  if (delimiter !== undefined && format !== 'csv' && format !== 'tsv')
    throw new ConfigError(`a delimiter applies to CSV and TSV files only, and ${file} is read as ${format}`);
  checkEncoding(read.encoding);
  if (format === 'xlsx')
    return xlsx(file, { ...read, ...(sheet === undefined ? {} : { sheet }), ...(onSheet && { onSheet }) });
  switch (format) {
    case 'csv':
    case 'tsv': {
      const given = delimiter ?? (format === 'tsv' ? '\t' : undefined); // else the CSV shows it
      return readCsv(file, given === undefined ? read : { ...read, delimiter: given });
    }
    case 'ndjson':
      return readNdjson(file, read);
    case 'json':
      return readJsonArray(file, jsonPath === undefined ? read : { ...read, jsonPath });
  }
}

function xlsx(file: string, options: Omit<ReadFileOptions, 'format' | 'delimiter' | 'jsonPath'>): FileSource<unknown> {
  const { encoding, maxRecordBytes: _, ...read } = options;
  if (encoding !== undefined)
    throw new ConfigError(
      `an encoding (${encoding}) applies to text files, and ${file} is read as xlsx, whose text is always Unicode`,
    );
  if (isGzip(file))
    throw new ConfigError(
      `${file}: a gzipped workbook cannot be read: gunzip it first (an .xlsx is compressed already)`,
    );
  return readXlsx(file, read);
}
