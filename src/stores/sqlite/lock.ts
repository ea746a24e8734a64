import { realpathSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { RetryableError } from '../../errors/errors.ts';

/**
 * The run lock: an exclusive transaction held open on a small file beside the database.
 * The operating system releases it when the holder dies, however it dies, so a lock left
 * by a killed run can never block the next one; a live holder makes BEGIN EXCLUSIVE fail.
 */
export class RunLock {
  #db: DatabaseSync | undefined;

  /**
   * Beside the database file as it really is, not as this run names it: through a symlink (or,
   * on a case-insensitive disk, a name in other letter case) two runs must meet at one lock.
   * Hard links to one file are the case this cannot see.
   */
  static pathFor(dbPath: string, job: string): string {
    return `${realpathSync.native(dbPath)}.${job}.lock`;
  }

  acquire(path: string, holder: () => string): void {
    const db = new DatabaseSync(path, { timeout: 0 });
    try {
      db.exec('PRAGMA journal_mode = DELETE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      const busy = ((error as { errcode?: number }).errcode ?? 0) & 0xff;
      if (busy === 5 || busy === 6) {
        throw new RetryableError(`already running: ${holder()}; this run stops without writing (try again when it ends)`, { code: 'LOCKED', cause: error });
      }
      throw error;
    }
    this.#db = db;
  }

  release(): void {
    if (!this.#db) return;
    this.#db.exec('ROLLBACK');
    this.#db.close();
    this.#db = undefined;
  }
}
