import type { ConfigOf, ConfigSchema } from '../config/options.ts';
import type { Counts, LogLevel } from '../events/protocol.ts';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Position, SourceItem } from '../sources/source-item.ts';
import type { ReplaceRows, StoreFactory } from '../stores/store.ts';
import type { ColumnType, Row, TableSpec, TablesSchema } from '../stores/tables.ts';

/** Extra fields of a log line, printed beside `msg` (e.g. `{ url, code }`). */
export type Fields = Record<string, unknown>;

/** A record that passed acceptAll, with where it came from. */
export interface Accepted<T> {
  record: T;
  position: Position;
}

/** `ctx.log.info(msg, fields)` and the other levels: one `log` event each, secrets redacted. */
export type Logger = Record<LogLevel, (msg: string, fields?: Fields) => void>;

/** What `run` is given: plain typed config and the run-level tools. */
export interface JobContext<C = Record<string, unknown>> {
  /** The job's options as plain typed values (flag > environment > env file > default). */
  readonly config: C;
  /** Which job is running. */
  readonly job: {
    /** The job's `name`. */
    readonly name: string;
    /** The job's `version`. */
    readonly version: string;
  };
  /** This run's id, as in its start and result lines and the run history. */
  readonly runId: string;
  /** A `--dry-run`: everything the run writes is rolled back at its end. */
  readonly dryRun: boolean;
  /** Aborted by SIGINT/SIGTERM or the host: finish or abandon the batch in hand, then return or throw. */
  readonly signal: AbortSignal;
  /** Log lines: `ctx.log.info('…', { fields })`, `warn`, `error`, `debug`. */
  readonly log: Logger;
  /** Reports progress; rate-limited, so calling it per record is fine. */
  progress(phase: string, done: number, total?: number): void;
  /** Adds to the run's counts (stores count their writes themselves). */
  count(kind: keyof Counts, n?: number): void;
  /** Throws a CancelledError when the run was asked to stop. */
  throwIfCancelled(): void;

  /** The checkpoint the last committed batch left (undefined on a first run). */
  readonly checkpoint: unknown;
  /** Queues rows for a table; commits a batch (with the newest checkpoint) when it is full. */
  write(table: string, rows: Row | readonly Row[]): Promise<void>;
  /** Declares a table at run time, when its columns come from the data (a CSV header); creates or grows it (a `schema` event says how). */
  defineTable(name: string, spec: TableSpec): Promise<void>;
  /** A table's columns and their types as the database has them now; undefined when it does not exist. */
  tableColumns(name: string): Promise<Record<string, ColumnType> | undefined>;
  /** Sets the checkpoint to commit with the next batch: it may claim only rows already written. */
  setCheckpoint(value: unknown): void;
  /** Commits what is queued now. The run's end does this too. */
  flush(): Promise<void>;
  /**
   * Counts an item as read and validates it (a source's unreadable item, or a record failing
   * `schema`): returns the record, or undefined after keeping it in _ferry_rejects. More rejects
   * than --max-rejects fail the run (65) and take back what it wrote.
   */
  accept<T = Record<string, unknown>>(
    item: SourceItem<unknown>,
    schema?: StandardSchemaV1<unknown, T>,
  ): Promise<T | undefined>;
  /**
   * accept() for many items at once: the records that pass, each with its position, in order.
   * One await for the lot (none at all without a schema), where accept() costs one per item.
   */
  acceptAll<T = Record<string, unknown>>(
    items: readonly SourceItem<unknown>[],
    schema?: StandardSchemaV1<unknown, T>,
  ): Promise<Accepted<T>[]>;
  /** Makes a replace-mode table's rows of one scope exactly these rows (one by one or in arrays), in one transaction. */
  replace(table: string, scope: Row, rows: ReplaceRows): Promise<void>;
}

/** What every job declares, whether it has `run` or `read` and `write`. */
export interface JobBase<S extends ConfigSchema> {
  /** kebab-case; names the run in events, the run history and the lock. */
  name: string;
  /** The job's own version, printed by `--version` and in the start line. */
  version: string;
  /** One line for `--help` and `.env.example`. */
  description: string;
  /** Prefixes every environment variable: `SHOP` turns `API_KEY` into `SHOP_API_KEY`. */
  envPrefix?: string;
  /** The job's options: each key becomes a flag and an environment variable (see {@link OptionSpec}). */
  config: S;
  /** Where the data goes, e.g. sqlite() from 'ferry/sqlite'; adds its options (--db-path…). */
  store?: StoreFactory;
  /** The tables the job writes, created (and grown) by the store. */
  tables?: TablesSchema;
}

/** A job that does everything itself in `run`. */
export interface RunJobDefinition<S extends ConfigSchema> extends JobBase<S> {
  /** The whole run: read the source, `ctx.write` rows, `ctx.setCheckpoint`; throw a ferry error to fail it. */
  run(ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  /** Not with `run`: a job has `run`, or `read` and `write`. */
  read?: never;
  /** Not with `run`. */
  write?: never;
  /** Not with `run`: validate in `run` with `ctx.accept(item, schema)`. */
  schema?: never;
}

/**
 * A job in two halves: `read` yields source items, ferry validates each against `schema`
 * (rejects go to _ferry_rejects), and `write` stores a valid record. Because the halves are
 * apart, `<job> rejects --replay` can run stored rejects through validation and `write` again.
 */
export interface PipelineJobDefinition<S extends ConfigSchema, T> extends JobBase<S> {
  /** Validates each record; a function when the schema depends on the config (an --id-field). */
  schema?: StandardSchemaV1<unknown, T> | ((config: ConfigOf<S>) => StandardSchemaV1<unknown, T>);
  /** Yields the source's items (`readFile`, `httpSource(…).records()`, or your own); may set checkpoints. */
  /** The source's items, one at a time or a page (an array) at a time. */
  read(ctx: JobContext<ConfigOf<S>>): AsyncIterable<SourceItem<unknown> | readonly SourceItem<unknown>[]>;
  /** Stores one valid record, typically with `ctx.write(table, row)`. */
  write(record: T, ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  /** Not with `read` and `write`. */
  run?: never;
}

/** What {@link defineJob} takes: a job with `run`, or one with `read` and `write`. */
export type JobDefinition<S extends ConfigSchema, T = Record<string, unknown>> =
  RunJobDefinition<S> | PipelineJobDefinition<S, T>;

/**
 * A job as {@link defineJob} returns it: what `runMain`, `runJob`, `ferry run` and `ferry build`
 * take. Export it as the module's default.
 */
export interface Job<S extends ConfigSchema = ConfigSchema> extends JobBase<S> {
  /** The brand {@link isJob} looks for: two copies of ferry agree on it. */
  readonly kind: 'ferry.job';
  /** The whole run; for a read/write job, read, validate and write each record. */
  run(ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  /** Present for read/write jobs: what a replay of rejects needs. */
  readonly pipeline?: {
    /** The schema records are validated with, for this config. */
    schemaFor(config: ConfigOf<S>): StandardSchemaV1<unknown, unknown> | undefined;
    /** The job's `write`. */
    write(record: unknown, ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  };
}
