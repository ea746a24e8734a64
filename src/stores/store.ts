import type { ConfigSchema, ConfigValue } from '../config/options.ts';
import type { Counts, ResultError, RunStatus, SchemaEvent } from '../events/protocol.ts';
import type { Position } from '../sources/source-item.ts';
import type { ColumnType, Row, TablesSchema } from './tables.ts';

/** What one write changed; summed into the run's counts in the same transaction. */
export type WriteCounts = Pick<Counts, 'inserted' | 'updated' | 'unchanged' | 'deleted'>;

/** A table {@link Store.prepare} created or grew: what the `schema` event says. */
export type SchemaChange = Pick<SchemaEvent, 'table' | 'change' | 'columns'>;

/** Rows written to one table, in order: a batch is a list of these. */
export interface PendingWrite {
  /** The table it goes to, as declared in the job's `tables`. */
  table: string;
  /** The rows, column name to value, in the order they were written. */
  rows: readonly Row[];
}

/** A batch's writes, table by table, each table's rows in the order they were written. */
export function byTable(writes: readonly PendingWrite[]): Map<string, readonly Row[]> {
  const tables = new Map<string, Row[]>();
  for (const { table, rows } of writes) {
    const all = tables.get(table);
    if (!all) tables.set(table, [...rows]);
    else for (const row of rows) all.push(row);
  }
  return tables;
}

/** A record that failed validation, kept in _ferry_rejects with where it came from. */
export interface Reject {
  /** Stable across runs (the same bad record is one reject, seen again). */
  id: string;
  /** The file or URL it came from, credentials redacted. */
  source: string;
  /** Where in the source: line, row, page, index. */
  position: Position;
  /** The record as read (or the unreadable input), secrets redacted. */
  raw: unknown;
  /** Why it was rejected: what the validation said. */
  reason: string;
}

/** A reject as `_ferry_rejects` keeps it: which run saw it last, and when it was first and last seen. */
export interface StoredReject extends Reject {
  /** The run that saw it last. */
  runId: string;
  /** When a run first rejected it, ISO 8601 UTC. */
  firstSeen: string;
  /** When a run last rejected it, ISO 8601 UTC. */
  lastSeen: string;
}

/**
 * A job's checkpoint and the tables whose rows it vouches for: a checkpoint whose table has
 * since been emptied (dropped, truncated, deleted from) no longer tells the truth.
 */
export interface Checkpoint {
  /** What the job passed to `ctx.setCheckpoint`, as JSON keeps it. */
  value: unknown;
  /** The tables written under it, sorted. */
  tables: readonly string[];
}

/** One transaction: the rows, the checkpoint they reach, and the run's counts so far. */
export interface Batch {
  /** The rows, in the order the job wrote them. */
  writes: readonly PendingWrite[];
  /** Records rejected since the last commit. */
  rejects?: readonly Reject[];
  /** Rejects that a replay has now written: removed in the same transaction. */
  resolved?: readonly string[];
  /** Present when the job set a checkpoint since the last commit. */
  checkpoint?: Checkpoint;
  /** Records the run has read so far. */
  read: number;
  /** Records the run has rejected so far. */
  rejected: number;
}

/** A replace's rows: one at a time, or arrays of them (faster: fewer awaits). */
export type ReplaceRows = AsyncIterable<Row | readonly Row[]> | Iterable<Row>;

/** One scope of a replace-mode table, made exactly these rows in one transaction. */
export interface ReplaceBatch {
  /** The replace-mode table. */
  table: string;
  /** The scope columns' values (one file, one account); rows of other scopes are left alone. */
  scope: Row;
  /** The scope's rows, all of them: those not among them are deleted. */
  rows: ReplaceRows;
  /** Present when the job set a checkpoint since the last commit. */
  checkpoint?: Checkpoint;
  /** Records read so far, once the rows are consumed. */
  read: () => number;
  /** Rejected so far, once the rows are consumed. */
  rejected: () => number;
}

/** One run in the history (`_ferry_runs`), as `<job> check` reads it. */
export interface RunRecord {
  /** The run's id, as in its events. */
  id: string;
  /** The job's name. */
  job: string;
  /** When it started, ISO 8601 UTC. */
  startedAt: string;
  /** When it ended; null while running (or when its process died: the next run marks it abandoned). */
  finishedAt: string | null;
  /** How it ended, or `running`. */
  status: RunStatus | 'running';
  /** Its exit code; null while running. */
  exitCode: number | null;
  /** Always false in the history: dry runs keep nothing. */
  dryRun: boolean;
  /** What it did, committed batches only. */
  counts: Counts;
  /** Why it failed, when it did: as its result line said. */
  error: Pick<ResultError, 'code' | 'message'> | null;
}

/** A run as {@link Store.startRun} records it. */
export interface RunStart {
  /** The run's id, as in its events. */
  id: string;
  /** The job's name. */
  job: string;
  /** A dry run: its writes are rolled back and the history does not keep it. */
  dryRun: boolean;
}

/** How a run ended, as {@link Store.finishRun} records it. */
export interface RunEnd {
  /** `succeeded`, `failed` or `cancelled`. */
  status: RunStatus;
  /** The exit code of the run. */
  exitCode: number;
  /** Records read, committed or not. */
  read: number;
  /** Why it failed, secrets redacted. */
  error?: Pick<ResultError, 'code' | 'message'>;
}

/**
 * The database side of a run. Each store (sqlite/, postgres/) implements it with the same
 * guarantees: data and checkpoint in one transaction, a lock that dies with its holder.
 */
export interface Store {
  /** Creates the job's tables (adding new nullable columns); never drops data. Also during a run. Returns what it changed. */
  prepare(tables: TablesSchema): Promise<SchemaChange[]>;
  /** A table's columns and their types as the database has them; undefined when there is no such table. */
  tableColumns(table: string): Promise<Record<string, ColumnType> | undefined>;
  /** Takes the job's run lock; throws a RetryableError (LOCKED) when another run holds it. */
  lock(job: string): Promise<void>;
  /** Records the run as running; marks runs whose process died as abandoned. In a dry run, opens the transaction that is rolled back at the end. */
  startRun(run: RunStart): Promise<void>;
  /** The job's committed checkpoint, undefined before its first. */
  readCheckpoint(job: string): Promise<Checkpoint | undefined>;
  /** Whether a table has no rows (or does not exist). */
  isEmpty(table: string): Promise<boolean>;
  /** Writes a batch, its rejects, its checkpoint and the run's counts in one transaction. */
  commit(runId: string, job: string, batch: Batch): Promise<WriteCounts>;
  /** Makes a scope's rows exactly the batch's rows (deleting the others) in one transaction. */
  replace(runId: string, job: string, batch: ReplaceBatch): Promise<WriteCounts>;
  /** Takes back everything this run committed (a failed guard); the checkpoint returns to where it was. */
  undoRun(runId: string, job: string): Promise<void>;
  /** Records the end and returns the run's counts as stored. */
  finishRun(runId: string, end: RunEnd): Promise<Counts>;
  /** The newest runs of a job, newest first (dry runs excluded). */
  runs(job: string, limit: number): Promise<RunRecord[]>;
  /** The job's rejects, newest first. */
  rejects(job: string, limit: number): Promise<StoredReject[]>;
  /** Releases the lock and the connection; the last call on a store. */
  close(): Promise<void>;
}

/** How a job names its store: the options it adds and how to open it from their values. */
export interface StoreFactory {
  /** Which store, e.g. `sqlite`, `postgres`. */
  readonly kind: string;
  /** The options it adds to the job's (`--db-path`, `--batch-size`…). */
  readonly options: ConfigSchema;
  /** The option that, when given, picks this store in selectStore() (e.g. dbUrl); unset for a fallback. */
  readonly selectedBy?: string;
  /** Opens the store with the job's resolved options: `read` for check and rejects (no lock, no writes). */
  open(config: Readonly<Record<string, ConfigValue>>, mode: 'write' | 'read'): Promise<Store | undefined>;
}
