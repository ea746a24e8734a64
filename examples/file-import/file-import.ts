// file-import: a CSV, TSV, NDJSON or JSON-array file (gzipped or not), or a sheet of an XLSX workbook,
// into a SQLite (or PostgreSQL) table: one column per field, named exactly as in the file, typed by
// its values (integer, numeric, boolean, date, timestamp, else text: see the README's type rules),
// plus ferry's _ferry_id. A value that does not fit its column's type is a reject, never converted.
// With --key the rows are upserted by that natural key; without it, the file's rows replace the
// rows the same file brought last time, in one transaction.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, defineJob, id, PermanentError, type ColumnType, type JobContext, type Row } from 'ferry';
import { runMain } from 'ferry/cli';
import {
  fileVersionCheck,
  formatFor,
  parseTypeOverrides,
  readFile,
  SchemaContract,
  TypeInference,
  type FileFormat,
  type FileSource,
  type SourceItem,
} from 'ferry/files';
import { sqliteOrPostgres } from 'ferry/stores';

// Each option names its own FILE_IMPORT_ variable: a stray FILE, KEY or TABLE in the user's
// shell must not pick the file, key or table. The database's DB_PATH and DATABASE_URL stay shared.
const job = defineJob({
  name: 'file-import',
  version: '1.0.0',
  description: 'imports a CSV, NDJSON or JSON file into a SQLite table',
  store: sqliteOrPostgres(), // --db-path (SQLite, the default) or --db-url (PostgreSQL)
  config: {
    file: {
      type: 'path',
      required: true,
      env: 'FILE_IMPORT_FILE',
      description: 'the file to import (.csv, .tsv, .ndjson, .jsonl, .json; .gz too; .xlsx, .xlsm)',
      example: './exports/customers.csv',
    },
    format: {
      type: 'enum',
      values: ['csv', 'tsv', 'ndjson', 'json', 'xlsx'],
      env: 'FILE_IMPORT_FORMAT',
      description: 'the format, when the file name does not tell',
    },
    jsonPath: {
      type: 'string',
      env: 'FILE_IMPORT_JSON_PATH',
      description: 'JSON: where the records array is when the file is an object (dot path)',
      example: 'data.items',
    },
    sheet: {
      type: 'string',
      env: 'FILE_IMPORT_SHEET',
      description: 'XLSX: the sheet to import, by its tab name (default: the first that is not hidden)',
      example: 'Orders',
    },
    table: {
      type: 'string',
      env: 'FILE_IMPORT_TABLE',
      description: 'the table to fill (default: the file name without extensions)',
    },
    key: {
      type: 'list',
      env: 'FILE_IMPORT_KEY',
      description: 'columns forming the natural key: upsert by it; without it the file replaces its own rows',
      example: 'id',
    },
    delimiter: {
      type: 'string',
      env: 'FILE_IMPORT_DELIMITER',
      description:
        "the CSV field separator (default: an Excel sep= first line's, else , when the header line has one, else the one of ; tab | it has most of; a tab for .tsv)",
      example: ';',
    },
    allowEmpty: {
      type: 'boolean',
      env: 'FILE_IMPORT_ALLOW_EMPTY',
      description:
        'without --key, let a file with no records delete the rows it brought last time (otherwise such a file fails, 65: an empty export is more often broken than true)',
    },
    encoding: {
      type: 'enum',
      values: ['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252', 'macintosh'],
      env: 'FILE_IMPORT_ENCODING',
      description:
        "the file's text encoding (default utf-8, or utf-16 when the file starts with its byte-order mark; latin1 reads as windows-1252)",
      example: 'windows-1252',
    },
    types: {
      type: 'list',
      env: 'FILE_IMPORT_TYPES',
      description:
        "column types by hand, column=type (text, integer, numeric, real, boolean, date, timestamp, timestamptz); '*=text' for every other column",
      example: 'zip=text,amount=numeric',
    },
    infer: {
      type: 'boolean',
      default: true,
      env: 'FILE_IMPORT_INFER',
      description: "give new columns the narrowest type their values fit (--no-infer: text, as --types '*=text')",
    },
    schema: {
      type: 'enum',
      values: ['evolve', 'freeze'],
      default: 'evolve',
      env: 'FILE_IMPORT_SCHEMA',
      description:
        'evolve: add the columns a file brings; freeze: reject records with a value for a column the table lacks',
    },
  },
  async run(ctx) {
    const { file, key } = ctx.config;
    const format = formatFor(file, ctx.config.format);
    checkRereadable(file);
    // Both reads must see one file: an empty one put in its place between them would delete every row.
    const unchanged = fileVersionCheck(file);
    const table = ctx.config.table ?? tableFrom(file);
    if (!TABLE.test(table))
      throw new ConfigError(
        `--table ${JSON.stringify(table)}: use letters, digits and _ (not first a digit), not starting with _ferry or sqlite_`,
      );
    const { delimiter, encoding, sheet, jsonPath } = ctx.config;
    const read = (onHeader?: (names: readonly string[]) => void, onSheet?: (name: string) => void) =>
      readFile(file, {
        format,
        signal: ctx.signal,
        ...(delimiter ? { delimiter } : {}),
        ...(encoding ? { encoding } : {}),
        ...(sheet !== undefined ? { sheet } : {}),
        ...(jsonPath !== undefined ? { jsonPath } : {}),
        ...(onHeader ? { onHeader } : {}),
        ...(onSheet ? { onSheet } : {}),
      });
    const overrides = parseTypeOverrides(ctx.config.infer ? ctx.config.types : [...ctx.config.types, '*=text']);
    const existing = await ctx.tableColumns(table);
    // Types are read from every value, in the pass that reads the header, only for new columns.
    const untyped = (names: readonly string[]) =>
      names.filter((c) => existing?.[c] === undefined && !overrides.columns.has(c));
    const inferFor = overrides.others === undefined && ctx.config.schema === 'evolve' ? untyped : undefined;
    const { columns, empty, sheet: readSheet, types } = await surveyOf(read, format, inferFor);
    unchanged();
    // Two sheets of one workbook are two sources: each replaces only its own rows, under ids of its own.
    const source = readSheet === undefined ? file : `${file}#${readSheet}`;
    checkColumns(file, columns);
    const twice = key.find((k, i) => key.indexOf(k) !== i);
    if (twice !== undefined)
      throw new ConfigError(`--key ${key.join(',')} names ${twice} twice: name each key column once`);
    const missing = key.filter((k) => !columns.includes(k));
    if (missing.length > 0 && !(empty && columns.length === 0))
      throw new ConfigError(`--key ${missing.join(',')}: no such column in ${file} (it has ${columns.join(', ')})`);
    const contract = new SchemaContract({
      table,
      columns,
      existing,
      inferred: types,
      overrides,
      mode: ctx.config.schema,
      key,
    });

    const base = contract.columns;
    if (key.length > 0) {
      if (empty) return ctx.log.info(`${file} has no records: nothing to import`);
      // Keyed by the natural key itself: files usually come in key order, so rows land side by side;
      // keyed by _ferry_id (a hash) every batch would touch pages all over the table.
      await ctx.defineTable(table, { columns: { _ferry_id: 'text', ...base }, primaryKey: key });
      for await (const rows of accepted(ctx, read(), source, contract, key, unchanged, isHeaded(format)))
        await ctx.write(table, rows);
    } else {
      if (empty && !ctx.config.allowEmpty) {
        throw new PermanentError(
          `${file} has no records: without --key it would delete every row it brought last time. An empty export is more often broken than true; if it is true, pass --allow-empty`,
          { code: 'EMPTY_FILE' },
        );
      }
      await ctx.defineTable(table, {
        columns: { _ferry_id: 'text', _ferry_source: 'text', ...base },
        primaryKey: ['_ferry_id'],
        mode: 'replace',
        scope: ['_ferry_source'],
      });
      await ctx.replace(
        table,
        { _ferry_source: source },
        accepted(ctx, read(), source, contract, key, unchanged, isHeaded(format)),
      );
    }
  },
});

const TABLE = /^(?!_ferry|sqlite_)[A-Za-z_][A-Za-z0-9_]*$/i;

/**
 * The file is read twice (its columns and types, then its rows). readFile reads a pipe through a
 * copy, but a device (a terminal as /dev/stdin, /dev/zero) would be read twice as it is, or for ever.
 * A path to nothing, a folder or a path that cannot be followed is left to readFile's own errors.
 */
function checkRereadable(file: string): void {
  let stat;
  try {
    stat = statSync(file, { throwIfNoEntry: false });
  } catch {
    return; // a symlink loop, a file used as a folder…: readFile names what is wrong
  }
  if (!stat?.isCharacterDevice() && !stat?.isBlockDevice()) return;
  throw new ConfigError(
    `${file} is a device, not a file: file-import reads its file twice (the columns and their types, then the rows); save the data to a file, or pipe it in (… | file-import --file /dev/stdin)`,
  );
}

/** ferry keeps _ferry_id and _ferry_source beside the file's columns: a file must not bring its own. */
function checkColumns(file: string, columns: readonly string[]): void {
  const own = columns.find((c) => c.toLowerCase().startsWith('_ferry_'));
  if (own !== undefined) {
    throw new PermanentError(
      `${file} has a column named ${own}: names starting with _ferry_ are ferry's own (_ferry_id, _ferry_source), and its values would be replaced; rename the column in the file`,
      { code: 'COLUMN_NAME_RESERVED' },
    );
  }
}

/**
 * Valid rows, typed by the contract, with their id, a read's worth at a time; rejects (a value
 * that does not fit its column among them) are kept by ctx.acceptAll. Throws FILE_CHANGED at the
 * end if the file is no longer the one the columns were read from.
 */
async function* accepted(
  ctx: JobContext,
  items: FileSource,
  source: string,
  contract: SchemaContract,
  key: string[],
  unchanged: () => void,
  headed: boolean,
): AsyncGenerator<Row[]> {
  const rowId = positional(source);
  let done = 0;
  let blank = 0;
  for await (const read of items.batches()) {
    const batch = headed ? read.filter((item) => !isBlank(item)) : read;
    blank += read.length - batch.length;
    const checked = batch.map((item) => contract.check(key.length > 0 && item.ok ? keyed(item, key) : item));
    const rows = (await ctx.acceptAll(checked)).map(({ record, position }) => {
      const row = record as Row;
      row._ferry_id = key.length > 0 ? id(...key.map((k) => text(row[k]))) : rowId(position.row ?? 0);
      return row;
    });
    ctx.progress('import', (done += read.length));
    yield rows;
  }
  if (blank > 0)
    ctx.log.warn(
      `${source}: ${blank} row(s) with no value in any column left out, as empty rows of a sheet are (a spreadsheet writes its empty formatted rows as ,,,)`,
    );
  unchanged(); // before a replace commits: its rows must come from the file the columns came from
}

/**
 * Without a key a row is its place in the file: `<id(file)>:<row, 12 digits>`. The ids of a file
 * sort in file order, so its rows are appended side by side; a hash per row scattered them over
 * the whole index and made the import 2.5 times slower than a keyed one.
 */
function positional(file: string): (row: number) => string {
  const prefix = id(file);
  return (row) => `${prefix}:${String(row).padStart(12, '0')}`;
}

function keyed(item: Extract<SourceItem<unknown>, { ok: true }>, key: string[]): SourceItem<unknown> {
  if (!isObject(item.record)) return item; // not a record at all: the contract rejects it, saying so
  const record = item.record;
  const empty = key.find((k) => record[k] === undefined || record[k] === null || record[k] === '');
  return empty === undefined
    ? item
    : { ok: false, raw: record, reason: `key column ${empty} is empty`, position: item.position };
}

/**
 * The columns (a CSV's or a sheet's header, or every field any JSON record has: one streaming
 * pass), whether the file has no record at all, the sheet its records come from (XLSX), and the
 * types every value allows. A CSV or a sheet is read past its header only while the columns
 * `inferFor` names (those the table lacks) may still be something other than text; a JSON file is
 * read whole anyway.
 */
async function surveyOf(
  read: (onHeader: (names: readonly string[]) => void, onSheet: (name: string) => void) => FileSource,
  format: FileFormat,
  inferFor: ((columns: readonly string[]) => string[]) | undefined,
): Promise<{ columns: string[]; empty: boolean; sheet: string | undefined; types: Record<string, ColumnType> }> {
  const seen = new Set<string>();
  let empty = true;
  let sheet: string | undefined;
  const header = (names: readonly string[]) => names.forEach((name) => seen.add(name));
  const headed = isHeaded(format);
  let inference = headed || inferFor === undefined ? undefined : new TypeInference();
  let infer = !headed && inferFor !== undefined;
  // A sheet of no rows has a name too: with --allow-empty it deletes the rows it brought.
  for await (const got of read(header, (name) => (sheet = name)).batches()) {
    const batch = headed ? got.filter((item) => !isBlank(item)) : got;
    if (batch.length === 0) continue;
    if (empty && headed) {
      const fresh = inferFor?.([...seen]) ?? [];
      infer = fresh.length > 0;
      inference = new TypeInference(fresh);
    }
    empty = false;
    if (headed && !infer) break;
    for (const item of batch) {
      if (!item.ok || !isObject(item.record)) continue; // a reject, later: no columns of its own
      const record = item.record;
      if (!headed) for (const name of Object.keys(record)) seen.add(name);
      if (infer) inference?.observe(record);
    }
    if (headed && inference?.settled()) break; // every new column is text: the rest of the file cannot change that
  }
  return { columns: [...seen], empty, sheet, types: inference?.types() ?? {} };
}

/** Every record has the header's names: a CSV's or TSV's first line, a sheet's first row. */
function isHeaded(format: FileFormat): boolean {
  return format === 'csv' || format === 'tsv' || format === 'xlsx';
}

/**
 * A row of a headed file (CSV, TSV, a sheet) with no value in any column: Excel and LibreOffice
 * write a sheet's empty formatted rows as `,,,`. It carries nothing to import, and an XLSX reader
 * skips the same row in the workbook; counted as a record it would fail a keyed import (its key
 * is empty) and make a file of nothing else look like data to a replace.
 */
function isBlank(item: SourceItem<unknown>): boolean {
  if (!item.ok || !isObject(item.record)) return false;
  for (const name in item.record) {
    const value = item.record[name];
    if (value !== '' && value !== null && value !== undefined) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function tableFrom(file: string): string {
  const name = path
    .basename(file)
    .replace(/\.gz$/i, '')
    .replace(/\.[^.]+$/, '')
    .replace(/[^A-Za-z0-9_]/g, '_');
  return TABLE.test(name) ? name : `t_${name}`;
}

export default job;
if (import.meta.main) await runMain(job);
