import { realpathSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, PermanentError, RetryableError } from '../../errors/errors.ts';
import type { KeptEnd, RunLock as Lock } from '../dialect.ts';
import { cannotWrite } from './write-trouble.ts';
import { BUSY, classifySqliteError, LOCKED, primaryCode } from './errors.ts';

const KEPT = 'ferry_kept_end';
// Its columns, named as KeptEnd names them.
const KEPT_COLUMNS = `run_id AS runId, status, exit_code AS exitCode, finished_at AS finishedAt, read, error_code AS errorCode, error_message AS errorMessage`;

/**
 * The run lock: an exclusive transaction held open on a small file beside the database.
 * The operating system releases it when the holder dies, however it dies, so a lock left
 * by a killed run can never block the next one; a live holder makes BEGIN EXCLUSIVE fail.
 *
 * The lock file also keeps a run's end when the database would not take it (busy past the
 * timeout, say): the next run, holding the lock, writes it into the history, and `check`
 * reads it from here until then.
 */
export class RunLock implements Lock {
  readonly #dbPath: string;
  #db: DatabaseSync | undefined;
  /** Ends of earlier runs found in the lock file; written into the history by this run. */
  kept: KeptEnd[] = [];

  /** The lock of the database at `dbPath` (none for ':memory:', which no other process can open). */
  constructor(dbPath: string) {
    this.#dbPath = dbPath;
  }

  /**
   * Beside the database file as it really is, not as this run names it: through a symlink (or,
   * on a case-insensitive disk, a name in other letter case) two runs must meet at one lock.
   * Hard links to one file are the case this cannot see.
   */
  static pathFor(dbPath: string, job: string): string {
    return `${realpathSync.native(dbPath)}.${job}.lock`;
  }

  async acquire(job: string, holder: () => Promise<string>): Promise<void> {
    if (this.#dbPath === ':memory:') return;
    const file = RunLock.pathFor(this.#dbPath, job);
    const found = statSync(file, { throwIfNoEntry: false });
    if (found && !found.isFile()) {
      // A folder: "unable to open database file", 75 for ever; a device locks nothing.
      const message = `cannot take the run lock: ${file} is not a file (a folder, a device or a pipe): move it aside`;
      throw new ConfigError(message, { code: 'DB_PATH_INVALID' });
    }
    // SQLite opens a file it cannot write read-only, and then locks nothing: two runs would write at once.
    const blocked = found ? cannotWrite(file) : undefined;
    if (blocked !== undefined) {
      const message = `cannot take the run lock: ${blocked}; let the job's user write there (or delete the lock file)`;
      throw new PermanentError(message, { code: 'SQLITE_READONLY' });
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: 0 });
    } catch (error) {
      throw classifySqliteError(error, 'taking the run lock', file);
    }
    try {
      db.exec('PRAGMA journal_mode = DELETE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      const code = primaryCode(error);
      if (code === BUSY || code === LOCKED) {
        const who = await holder();
        const message = `already running: ${who} (on ${this.#dbPath}); this run stops without writing (try again when it ends)`;
        throw new RetryableError(message, { code: 'LOCKED', cause: error });
      }
      throw classifySqliteError(error, 'taking the run lock', file);
    }
    this.#db = db;
    this.kept = readKept(db);
  }

  /** For `check`, which never takes the lock: the ends kept, or none while a run holds it. */
  keptFor(job: string): KeptEnd[] {
    if (this.#dbPath === ':memory:') return [];
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(RunLock.pathFor(this.#dbPath, job), { readOnly: true, timeout: 0 });
      return readKept(db);
    } catch {
      return []; // no lock file, or a run holds it (and will write these into the history)
    } finally {
      db?.close();
    }
  }

  /** Keeps a run's end in the lock file, and lets the lock go. Throws when even that cannot be written. */
  keep(end: KeptEnd): void {
    const db = this.#db;
    if (!db) return;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${KEPT} (run_id TEXT PRIMARY KEY, status TEXT, exit_code INTEGER, finished_at TEXT, read INTEGER, error_code TEXT, error_message TEXT)`,
    );
    const { runId, status, exitCode, finishedAt, read, errorCode, errorMessage } = end;
    const values = [runId, status, exitCode, finishedAt, read, errorCode, errorMessage];
    db.prepare(`INSERT OR REPLACE INTO ${KEPT} VALUES (?, ?, ?, ?, ?, ?, ?)`).run(...values);
    db.exec('COMMIT');
    this.kept = [];
    this.#close();
  }

  /** Lets the lock go; the ends this run found are forgotten once `written` says the history has them. */
  async release(written: boolean): Promise<void> {
    const db = this.#db;
    if (!db) return;
    try {
      if (written && this.kept.length > 0) db.exec(`DELETE FROM ${KEPT}; COMMIT`);
    } finally {
      if (db.isTransaction) db.exec('ROLLBACK');
      this.#close();
    }
  }

  #close(): void {
    this.#db?.close();
    this.#db = undefined;
  }
}

function readKept(db: DatabaseSync): KeptEnd[] {
  if (db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(KEPT) === undefined) return [];
  return db.prepare(`SELECT ${KEPT_COLUMNS} FROM ${KEPT}`).all() as unknown as KeptEnd[];
}
