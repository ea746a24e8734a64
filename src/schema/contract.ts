import { ConfigError } from '../errors/errors.ts';
import type { SourceItem } from '../sources/source-item.ts';
import type { ColumnType, Row } from '../stores/tables.ts';
import { asText, MISFIT, toColumnValue } from './column-values.ts';
import { isExactNumber } from '../values/exact-json.ts';
import { inherited, ownField, setField } from '../values/own-field.ts';
import type { TypeOverrides } from './type-overrides.ts';

/** `evolve`: a new column is added (nullable). `freeze`: the table keeps its columns; a record with a value for another is rejected. */
export type SchemaMode = 'evolve' | 'freeze';

/** What {@link SchemaContract} needs to know about a file and its table. */
export interface ContractOptions {
  /** The table's name, for messages. */
  table: string;
  /** The file's columns, in order. */
  columns: readonly string[];
  /** The table's columns and their types now; undefined when it does not exist yet. */
  existing: Readonly<Record<string, ColumnType>> | undefined;
  /** Types for the columns the table lacks: inferred from the data; a column without one is text. */
  inferred: Readonly<Record<string, ColumnType>>;
  /** Types given by hand (`--types`): they win over inferred ones; an existing column keeps its own. */
  overrides: TypeOverrides;
  /** Default `evolve`. */
  mode?: SchemaMode;
  /** Whether `columns` is the records' field order (a file's header), so a reject names the field's place. Default true. */
  ordered?: boolean;
  /**
   * The natural-key columns (upserted by): a new one is typed only by a type whose values have one
   * spelling each (integer, date), else text; `1.0` and `1`, `TRUE` and `true` are two keys in the file.
   */
  key?: readonly string[];
}

/**
 * Types under which two spellings are one value (`1.0` and `1`, `true` and `TRUE`, a date and its
 * midnight, one instant at two offsets): as a key, two records of the file would become one row.
 */
const MERGING: ReadonlySet<ColumnType> = new Set(['numeric', 'real', 'boolean', 'timestamp', 'timestamptz']);

/**
 * A file's records against its table: which columns to declare (the table's own, with their
 * types, and, in `evolve` mode, the new ones), and each record as a row of those types, or a
 * reject naming the column and the value that does not fit. Never coerced, never cut.
 */
export class SchemaContract {
  /** The columns to declare for the file's values: name to type, in the file's order. */
  readonly columns: Record<string, ColumnType> = {};
  /** The file's columns the table neither has nor gets (`freeze`): a value in one is a reject. */
  readonly refused: readonly string[];
  readonly #table: string;
  readonly #names: string[];
  readonly #types: ColumnType[];
  /** How a reject names each declared column: with its place in the records, when they have one. */
  readonly #labels: string[];
  /** Whether every declared column is text: rows of strings pass as they are. */
  readonly #allText: boolean;
  /** Per declared column: whether its name is one every object inherits (read it with ownField). */
  readonly #inherited: boolean[];

  constructor(options: ContractOptions) {
    const { table, existing, overrides } = options;
    const mode = options.mode ?? 'evolve';
    if (mode === 'freeze' && existing === undefined) {
      throw new ConfigError(
        `--schema freeze: table ${table} does not exist, and freeze adds nothing; create it with a first import under --schema evolve (the default)`,
      );
    }
    checkOverrides(options);
    const refused: string[] = [];
    const key = options.key ?? [];
    for (const name of options.columns) {
      const kept = typeIn(existing, name);
      let inferred = ownField(options.inferred, name) as ColumnType | undefined;
      if (inferred !== undefined && MERGING.has(inferred) && key.includes(name)) inferred = 'text';
      if (kept !== undefined) setField(this.columns, name, kept);
      else if (mode === 'freeze') refused.push(name);
      else setField(this.columns, name, overrides.columns.get(name) ?? overrides.others ?? inferred ?? 'text');
    }
    this.refused = refused;
    this.#table = table;
    this.#names = Object.keys(this.columns);
    this.#types = Object.values(this.columns);
    const ordered = options.ordered ?? true;
    this.#labels = this.#names.map((name) =>
      ordered ? `column ${name} (field ${options.columns.indexOf(name) + 1})` : `column ${name}`,
    );
    this.#allText = this.#types.every((t) => t === 'text');
    this.#inherited = this.#names.map(inherited);
  }

  /**
   * An item as the table takes it: its record as a row of the declared columns' types, or a
   * reject whose reason names the column, its place in the record and the value.
   */
  check(item: SourceItem<unknown>): SourceItem<Row> {
    if (!item.ok) return item;
    if (!isFields(item.record)) {
      const reason = `the record is ${describeValue(item.record)}, not a JSON object: a row needs named fields`;
      return { ok: false, raw: item.record, reason, position: item.position };
    }
    const record = item.record;
    for (const name of this.refused) {
      const value = ownField(record, name);
      if (value !== undefined && value !== null && value !== '') {
        const reason = `column ${name} is not in table ${this.#table}, and --schema freeze adds none: ${preview(value)} has nowhere to go`;
        return { ok: false, raw: record, reason, position: item.position };
      }
    }
    if (this.#allText && this.#textOrMissing(record)) return item as SourceItem<Row>; // today's all-text table: the record as it is
    // A copy of the record (cheap for records of one shape, as a file's are), its values converted
    // where they need it: a string in a text column, the common case, is left as it is.
    const row: Row = { ...record };
    for (let i = 0; i < this.#names.length; i++) {
      const name = this.#names[i] as string;
      const type = this.#types[i] as ColumnType;
      const raw = this.#inherited[i] ? ownField(record, name) : record[name];
      if (typeof raw === 'string' && !storable(raw)) {
        const reason = `${this.#labels[i]}: ${preview(raw)} holds ${unstorable(raw)}; fix the text in the file`;
        return { ok: false, raw: record, reason, position: item.position };
      }
      if (type === 'text' && (typeof raw === 'string' || raw === undefined)) continue;
      const value = toColumnValue(raw, type);
      if (value === MISFIT) {
        const reason = `${this.#labels[i]} is ${type}: ${preview(raw)} does not fit it, and is not converted`;
        return { ok: false, raw: record, reason, position: item.position };
      }
      setField(row, name, value);
    }
    return { ok: true, record: row, position: item.position };
  }

  /** Whether every declared column's value is a well-formed string or missing. */
  #textOrMissing(record: Record<string, unknown>): boolean {
    for (let i = 0; i < this.#names.length; i++) {
      const name = this.#names[i] as string;
      const value = this.#inherited[i] ? ownField(record, name) : record[name];
      if (typeof value === 'string' ? !storable(value) : value !== undefined) return false;
    }
    return true;
  }
}

/**
 * Whether a database stores the text as it is. Half of a UTF-16 surrogate pair (JSON's "\ud800")
 * has no UTF-8 form: the drivers store U+FFFD instead, and two keys that differ only there became
 * one row. A NUL character (a CSV's byte 00, JSON's "\u0000") PostgreSQL refuses, failing the whole
 * batch, and SQLite keeps but its functions and its shell stop at: "a\0b" shows as "a".
 */
function storable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}

function unstorable(text: string): string {
  return text.isWellFormed()
    ? "a NUL character (byte 00), which PostgreSQL refuses and SQLite's text functions stop at"
    : 'half of a UTF-16 surrogate pair, which no database stores as written';
}

/** An override for a column the file lacks, or one that would change an existing column's type, is a ConfigError. */
function checkOverrides({ table, columns, existing, overrides }: ContractOptions): void {
  for (const [name, type] of overrides.columns) {
    if (!columns.includes(name))
      throw new ConfigError(`--types ${name}=${type}: the file has no column ${name} (it has ${columns.join(', ')})`);
    const kept = typeIn(existing, name);
    if (kept !== undefined && kept !== type) {
      throw new ConfigError(
        `--types ${name}=${type}: table ${table} has ${name} as ${kept} already, and ferry never changes a column's type (that could not hold every row): leave it out, or import into a new --table`,
      );
    }
  }
}

/**
 * A column's type in the table: by its exact name, else by the one name that differs only in case
 * (SQLite takes `Name` and `name` for one column: a text column `Name` from an older import must
 * not be typed anew as `name`).
 */
function typeIn(existing: Readonly<Record<string, ColumnType>> | undefined, name: string): ColumnType | undefined {
  if (existing === undefined) return undefined;
  const exact = ownField(existing, name) as ColumnType | undefined;
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  const same = Object.keys(existing).filter((c) => c.toLowerCase() === lower);
  return same.length === 1 ? existing[same[0] as string] : undefined;
}

/** A record a row can be made of: an object of named fields (not null, an array, or an exact number). */
function isFields(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isExactNumber(value);
}

/** null, 42, true, "text" (quoted: a string), an array. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? preview(value) : String(asText(value));
}

function preview(value: unknown): string {
  const text = JSON.stringify(asText(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
