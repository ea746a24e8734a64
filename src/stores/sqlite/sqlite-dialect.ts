import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { RetryableError } from '../../errors/errors.ts';
import { bookkeepingSql } from '../bookkeeping.ts';
import type { Column, Dialect, KeptEnd, ScopeSweep as Sweep } from '../dialect.ts';
import { q } from '../quote.ts';
import type { ColumnType, Row, TableSpec } from '../tables.ts';
import { bookkeepingColumns, checkBookkeeping } from '../bookkeeping-check.ts';
import { checkDatabasePath } from './database-path.ts';
import { BUSY, classifySqliteError, primaryCode } from './errors.ts';
import { RunLock } from './lock.ts';
import { KeyRowids } from './key-rowids.ts';
import { checkSqliteTable, columnsOf, columnTypeOf, rowidKind, rowidName, SQL_TYPE, withoutRowid } from './sql.ts';
import { LastInsert, ScopeSweep, TableWriter } from './table-writer.ts';
import { UndoJournal } from './undo-journal.ts';

const BOOKKEEPING_SQL = bookkeepingSql({ time: 'TEXT', count: 'INTEGER', flag: 'INTEGER' });
const BOOKKEEPING_COLUMNS = bookkeepingColumns(BOOKKEEPING_SQL);
const ADDED_LATER = new Set(['_ferry_checkpoints.tables']); // by open(), to a database of an older ferry

/** Throws when a table named like one of ferry's in `file` is not ferry's (see checkBookkeeping). */
function checkSqliteBookkeeping(db: DatabaseSync, file: string, complete: boolean): void {
  checkBookkeeping(file, BOOKKEEPING_COLUMNS, (table) => columnsOf(db, table), { complete, addedLater: ADDED_LATER });
}

/** How long to wait while another process writes to the database, in ms. */
type SqliteOptions = { busyTimeoutMs?: number };

/** The embedded database on node:sqlite: WAL, a busy timeout, the run lock in a file beside it. */
export class SqliteDialect implements Dialect {
  readonly begin = 'BEGIN IMMEDIATE';
  readonly now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
  readonly insertionOrder = 'rowid';
  readonly replaceChunk = 256;
  readonly lock: RunLock;
  readonly #path: string;
  readonly #db: DatabaseSync;
  readonly #prepared = new Map<string, StatementSync>();
  /** The file opened (device and inode), to tell when another is at its path, or none. */
  readonly #file: string | undefined;
  /** Its path made absolute at open: a job that changes its directory must not look elsewhere. */
  readonly #absolute: string;
  #lastInsert: LastInsert | undefined;

  private constructor(path: string, db: DatabaseSync) {
    this.#path = path;
    this.#db = db;
    this.lock = new RunLock(path);
    this.#absolute = resolve(path);
    this.#file = identity(this.#absolute);
  }

  static open(path: string, options: SqliteOptions = {}): SqliteDialect {
    const timeoutMs = options.busyTimeoutMs ?? 5000;
    checkDatabasePath(path);
    try {
      const db = new DatabaseSync(path, { timeout: timeoutMs });
      whileBusy(timeoutMs, () => db.exec('PRAGMA journal_mode = WAL'));
      // WAL with synchronous NORMAL: a commit is atomic and durable against a process crash;
      // only a power loss may take back the newest commits, and never leaves them half done.
      db.exec('PRAGMA synchronous = NORMAL');
      // Checkpoint the WAL into the database less often than the default: fewer syncs and
      // rewrites of the same pages while batches commit one after another.
      db.exec('PRAGMA wal_autocheckpoint = 10000');
      // IMMEDIATE takes the write lock first, through the busy timeout: a CREATE that reads the
      // schema and then writes fails at once (SQLITE_BUSY) when another process wrote between.
      checkSqliteBookkeeping(db, path, false);
      db.exec(`BEGIN IMMEDIATE; ${BOOKKEEPING_SQL}`);
      // A database made by an older ferry: columns are only ever added.
      if (!columnsOf(db, '_ferry_checkpoints').includes('tables'))
        db.exec('ALTER TABLE _ferry_checkpoints ADD COLUMN tables TEXT');
      db.exec('COMMIT');
      return new SqliteDialect(path, db);
    } catch (error) {
      throw classifySqliteError(error, 'opening the database', path);
    }
  }

  /** For `check` and `rejects`: no file, no history (and no file created). */
  static openForReading(path: string, options: SqliteOptions = {}): SqliteDialect | undefined {
    checkDatabasePath(path);
    if (path !== ':memory:' && !existsSync(path)) return undefined;
    try {
      const db = new DatabaseSync(path, { readOnly: true, timeout: options.busyTimeoutMs ?? 5000 });
      if (db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = '_ferry_runs'`).get() === undefined) return undefined;
      checkSqliteBookkeeping(db, path, true);
      return new SqliteDialect(path, db);
    } catch (error) {
      throw classifySqliteError(error, 'opening the database', path);
    }
  }

  async query<R>(doing: string, sql: string, params: readonly unknown[] = [], prepare = false): Promise<R[]> {
    if (sql === 'COMMIT') this.#checkFile();
    try {
      const statement = this.#prepared.get(sql) ?? this.#db.prepare(sql);
      if (prepare) this.#prepared.set(sql, statement);
      return statement.all(...(params as SQLInputValue[])) as R[];
    } catch (error) {
      throw this.classify(error, doing);
    }
  }

  async exec(doing: string, sql: string, params: readonly unknown[] = [], prepare = false): Promise<void> {
    await this.query(doing, sql, params, prepare);
  }

  classify(error: unknown, doing: string): unknown {
    return classifySqliteError(error, doing, this.#path);
  }

  /**
   * A database file deleted or moved (or another renamed into its place) while the run writes to it takes
   * the run's work with it: no batch may commit into it as if kept. A rerun writes it all again.
   */
  #checkFile(): void {
    if (this.#file === undefined || identity(this.#absolute) === this.#file) return;
    const message = `the database file ${this.#path} was deleted, moved or replaced while the run wrote to it, and what it wrote went with it: run again`;
    throw new RetryableError(message, { code: 'DB_VANISHED' });
  }

  readonly checkTable = checkSqliteTable;

  async columns(name: string): Promise<Column[]> {
    // table_xinfo: table_info leaves generated columns out, and ferry would add them again.
    const sql = `PRAGMA main.table_xinfo(${q(name)})`;
    const info = this.#db.prepare(sql).all() as { name: string; type: string; pk: number; hidden: number }[];
    return info.map((c) => ({ name: c.name, type: columnTypeOf(c.type), key: c.pk, generated: c.hidden >= 2 }));
  }

  /**
   * A one-column INTEGER primary key would become the rowid, and then a new row's rowid would be
   * its key, not one past the highest: the store tells inserts by that (and the undo journal takes
   * back rows past it). Declared INT, the key keeps integer affinity and stays a column of its own.
   */
  sqlType(type: ColumnType, key = false): string {
    return key && type === 'integer' ? 'INT' : SQL_TYPE[type];
  }

  readonly sameColumn = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

  async writer(name: string, spec: TableSpec): Promise<TableWriter> {
    const kind = rowidKind(this.#db, name);
    if (kind === 'none') throw withoutRowid(name);
    this.#lastInsert ??= new LastInsert(this.#db);
    const keyRowids = kind === 'key' ? new KeyRowids(this.#db, name) : undefined;
    const rowid = rowidName(name, columnsOf(this.#db, name));
    return new TableWriter(this.#db, name, spec, this.#lastInsert, rowid, keyRowids);
  }

  async scopeSweep(name: string, spec: TableSpec, scope: Row): Promise<Sweep> {
    return ScopeSweep.start(this.#db, name, spec, scope);
  }

  async openJournal(): Promise<UndoJournal> {
    return new UndoJournal(this.#db);
  }

  /**
   * The database would not take the run's end (busy past the timeout, a full disk): the lock file
   * keeps it, so that the next run and `check` tell what happened instead of "killed or crashed".
   */
  async recordElsewhere(end: KeptEnd): Promise<string | undefined> {
    try {
      this.lock.keep(end);
      return 'its end is kept in the run lock file, and the next run writes it into the history';
    } catch {
      return undefined; // the disk will not take even that: the result line is all that says it
    }
  }

  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    this.#db.close();
  }
}

/** The device and inode of the file at `path`, or undefined when there is none (':memory:'). */
function identity(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Runs `step` until it stops failing with SQLITE_BUSY, for up to `timeoutMs`. Switching to WAL
 * mode while another process opens the same new file can fail at once, busy timeout or not.
 */
function whileBusy(timeoutMs: number, step: () => void): void {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return step();
    } catch (error) {
      if (primaryCode(error) !== BUSY || Date.now() >= end) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a short, blocking wait: open() is synchronous
    }
  }
}
