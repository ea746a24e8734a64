import type { Counts } from '../events/protocol.ts';
import type { WriteCounts } from './store.ts';
import type { ColumnType, Row, TableSpec, TablesSchema } from './tables.ts';

/**
 * What one database must provide for ferry's run store (run-store.ts), which writes the run's
 * lifecycle, bookkeeping and guarantees once over it. A database is a folder with one dialect:
 * a session for statements, the DDL of a table, a bulk writer, an undo journal and a run lock.
 */
export interface Dialect {
  /** `BEGIN` as this database takes the write lock at once (SQLite: BEGIN IMMEDIATE). */
  readonly begin: string;
  /** SQL for the current time, for the history's timestamps. */
  readonly now: string;
  /** The column of _ferry_rejects in insertion order, to list rejects newest first. */
  readonly insertionOrder: string;
  /** Rows of a replace written to the table together; they stream in and must not pile up. */
  readonly replaceChunk: number;
  /** True once the connection is gone: a rollback would only fail again. */
  readonly lost?: boolean;
  readonly lock: RunLock;

  /** Runs one statement with `?` parameters; `prepare` keeps its plan (statements run every batch). */
  query<R = Row>(doing: string, sql: string, params?: readonly unknown[], prepare?: boolean): Promise<R[]>;
  /**
   * A statement that returns no rows. A server dialect may hold it and send it with the next one
   * (PostgreSQL: BEGIN with the COPY, a batch's bookkeeping with its COMMIT), so its error may
   * surface at that next statement, inside the same transaction.
   */
  exec(doing: string, sql: string, params?: readonly unknown[], prepare?: boolean): Promise<void>;
  /** A database error as a ferry error (65, 75…) that says what `doing` was; ferry errors pass. Unset when `query` does it. */
  classify?(error: unknown, doing: string): unknown;

  /** Called once a run is recorded as started (PostgreSQL: commit batches without waiting for the disk). */
  started?(dryRun: boolean): Promise<void>;
  /** Inside the transaction that records a run's end: make it (and every batch before it) durable. */
  ending?(dryRun: boolean): Promise<void>;

  /** Refuses, before any DDL, a name or shape the database would refuse or change. */
  checkTable(name: string, spec: TableSpec, existing: readonly string[]): void;
  /** Before a table is made: refuses one the database would find elsewhere under its name (PostgreSQL: further along the search_path). */
  creating?(name: string): Promise<void>;
  /** The table's columns in order, as the database has them; none when there is no such table. */
  columns(name: string): Promise<Column[]>;
  /** How this database declares a column of a type, e.g. `BIGINT`; `key` for a column of the primary key. */
  sqlType(type: ColumnType, key?: boolean): string;
  /** Takes the lock that DDL needs, if any, inside the caller's transaction (PostgreSQL: one schema change at a time). */
  lockSchema?(): Promise<void>;
  /** Whether two column names are one to this database. */
  sameColumn(a: string, b: string): boolean;
  /** The writer of a table whose shape is final. */
  writer(name: string, spec: TableSpec): Promise<TableWriter>;
  scopeSweep(name: string, spec: TableSpec, scope: Row): Promise<ScopeSweep>;
  /** The journal of a real (not dry) run; opened inside the run's first transaction. */
  openJournal(): Promise<UndoJournal>;

  /**
   * The run's end could not be recorded (`error`). A dialect that can still record it does: on a
   * new session (`record` does the work; its counts come back), or elsewhere (the lock file; a note
   * saying where comes back). Undefined when it cannot.
   */
  recordElsewhere?(
    end: KeptEnd,
    error: unknown,
    record: (d: Dialect) => Promise<Counts>,
  ): Promise<Counts | string | undefined>;
  close(): Promise<void>;
}

/** A column of a table as the database has it. */
export interface Column {
  name: string;
  /** As ferry reads the declared type back; a type ferry does not declare reads as text. */
  type: ColumnType;
  /** Its place in the primary key: 1, 2…; 0 outside it. */
  key: number;
  /** A column GENERATED ALWAYS (computed, or an identity the database numbers): nothing may write it. */
  generated?: boolean;
}

/** How a batch lands in one table: inserts, updates only real changes, counts both. */
export interface TableWriter {
  /** At the start of every transaction (a dry run's savepoints too). */
  began?(): void;
  write(rows: readonly Row[], counts: WriteCounts, options: { journal: boolean; sweep?: ScopeSweep }): Promise<void>;
  /** The batch's transaction committed, or rolled back: state kept across batches follows it. */
  committed?(): void;
  rolledBack?(): void;
}

/** A replace: remembers the keys its rows brought, then deletes the scope's other rows. */
export interface ScopeSweep {
  sweep(counts: WriteCounts, journal: boolean): Promise<void>;
}

/**
 * What a run that fails a guard needs to take back everything it committed, and nothing else.
 * Lives in the run's own session: a killed run's work simply stands.
 */
export interface UndoJournal {
  /** Watches a table from now on (again after it grew). */
  watch?(name: string, spec: TableSpec, writer: TableWriter): Promise<void>;
  /** Inside each transaction of the run, after BEGIN and before COMMIT. */
  batchStarted?(): Promise<void>;
  batchEnding(counts: WriteCounts | undefined): Promise<void>;
  /** Puts every table back as it was when the run started; inside a transaction. */
  undo(tables: TablesSchema): Promise<void>;
  /** The run's work stands (or was taken back): nothing to keep. */
  forget(): Promise<void>;
  close?(): Promise<void>;
}

/** A run's end as the history keeps it. */
export interface KeptEnd {
  runId: string;
  status: string;
  exitCode: number;
  finishedAt: string;
  read: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/** One run of a job at a time per database; a lock that dies with its holder, however it dies. */
export interface RunLock {
  /** Takes the lock, or throws a RetryableError (LOCKED) naming the holder. */
  acquire(job: string, holder: () => Promise<string>): Promise<void>;
  /** Ends of earlier runs kept outside the history (see Dialect.recordElsewhere), to write into it. */
  readonly kept?: readonly KeptEnd[];
  /** For readers that never take the lock (`check`): the ends kept for this job, if they can be read. */
  keptFor?(job: string): KeptEnd[];
  /** Lets it go, unless it goes with the session; `written` says the kept ends are in the history now. */
  release?(written: boolean): Promise<void>;
}

/** Thrown by a writer whose fast path met a key already there: the batch is rolled back and written again. */
export class WriteAgain extends Error {}
