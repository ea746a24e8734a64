import type { ConfigOf, ConfigSchema } from '../config/options.ts';
import type { Counts, LogLevel } from '../events/protocol.ts';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { SourceItem } from '../sources/source-item.ts';
import type { StoreFactory } from '../stores/store.ts';
import type { Row, TableSpec, TablesSchema } from '../stores/tables.ts';

export type Fields = Record<string, unknown>;

export type Logger = Record<LogLevel, (msg: string, fields?: Fields) => void>;

/** What `run` is given: plain typed config and the run-level tools. */
export interface JobContext<C = Record<string, unknown>> {
  readonly config: C;
  readonly job: { readonly name: string; readonly version: string };
  readonly runId: string;
  readonly dryRun: boolean;
  /** Aborted by SIGINT/SIGTERM or the host: finish or abandon the batch in hand, then return or throw. */
  readonly signal: AbortSignal;
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
  /** Declares a table at run time, when its columns come from the data (a CSV header); creates or grows it. */
  defineTable(name: string, spec: TableSpec): Promise<void>;
  /** Sets the checkpoint to commit with the next batch: it may claim only rows already written. */
  setCheckpoint(value: unknown): void;
  /** Commits what is queued now. The run's end does this too. */
  flush(): Promise<void>;
  /**
   * Counts an item as read and validates it (a source's unreadable item, or a record failing
   * `schema`): returns the record, or undefined after keeping it in _ferry_rejects. More rejects
   * than --max-rejects fail the run (65) and take back what it wrote.
   */
  accept<T = Record<string, unknown>>(item: SourceItem<unknown>, schema?: StandardSchemaV1<unknown, T>): Promise<T | undefined>;
  /** Makes a replace-mode table's rows of one scope exactly these rows, in one transaction. */
  replace(table: string, scope: Row, rows: AsyncIterable<Row> | Iterable<Row>): Promise<void>;
}

interface JobBase<S extends ConfigSchema> {
  /** kebab-case; names the run in events, the run history and the lock. */
  name: string;
  version: string;
  description: string;
  /** Prefixes every environment variable: `SHOP` turns `API_KEY` into `SHOP_API_KEY`. */
  envPrefix?: string;
  config: S;
  /** Where the data goes, e.g. sqlite() from 'ferry/sqlite'; adds its options (--db-path…). */
  store?: StoreFactory;
  /** The tables the job writes, created (and grown) by the store. */
  tables?: TablesSchema;
}

/** A job that does everything itself in `run`. */
export interface RunJobDefinition<S extends ConfigSchema> extends JobBase<S> {
  run(ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  read?: never;
  write?: never;
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
  read(ctx: JobContext<ConfigOf<S>>): AsyncIterable<SourceItem<unknown>>;
  write(record: T, ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  run?: never;
}

export type JobDefinition<S extends ConfigSchema, T = Record<string, unknown>> = RunJobDefinition<S> | PipelineJobDefinition<S, T>;

export interface Job<S extends ConfigSchema = ConfigSchema> extends JobBase<S> {
  readonly kind: 'ferry.job';
  run(ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  /** Present for read/write jobs: what a replay of rejects needs. */
  readonly pipeline?: {
    schemaFor(config: ConfigOf<S>): StandardSchemaV1<unknown, unknown> | undefined;
    write(record: unknown, ctx: JobContext<ConfigOf<S>>): Promise<void> | void;
  };
}
