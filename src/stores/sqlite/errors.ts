import { PermanentError, RetryableError } from '../../errors/errors.ts';

// SQLite primary result codes (the low byte of an extended code).
const BUSY = 5,
  LOCKED = 6,
  NOMEM = 7,
  READONLY = 8,
  IOERR = 10,
  CORRUPT = 11,
  FULL = 13,
  CANTOPEN = 14,
  CONSTRAINT = 19,
  MISMATCH = 20,
  NOTADB = 26;
const RETRYABLE = new Set([BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN]);

/** SQLITE_BUSY, whatever its extended code (BUSY_SNAPSHOT, BUSY_RECOVERY…). */
export function isBusy(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' && (errcode & 0xff) === BUSY;
}

/**
 * Tells a passing database condition (busy, disk full) from bad data (a constraint) and from a
 * file that is not a database at all (65: retrying will not mend it). `file` names the database.
 */
export function classifySqliteError(error: unknown, doing: string, file?: string): Error {
  const errcode = (error as { errcode?: number }).errcode;
  if (typeof errcode !== 'number') return error as Error;
  const primary = errcode & 0xff;
  const message = `SQLite ${doing}: ${(error as Error).message}`;
  if (RETRYABLE.has(primary))
    return new RetryableError(message, {
      code: `SQLITE_${primary === BUSY || primary === LOCKED ? 'BUSY' : primary === FULL ? 'FULL' : 'IO'}`,
      cause: error,
    });
  if (primary === CONSTRAINT || primary === MISMATCH)
    return new PermanentError(message, { code: 'SQLITE_CONSTRAINT', cause: error });
  if (primary === READONLY)
    return new PermanentError(`${message} (is the database file writable?)`, { code: 'SQLITE_READONLY', cause: error });
  const where = file === undefined ? 'the database file' : file;
  if (primary === NOTADB) {
    return new PermanentError(
      `not a SQLite database: ${where} (${(error as Error).message}); point the job at its database, or move this file aside`,
      { code: 'SQLITE_NOT_A_DATABASE', cause: error },
    );
  }
  if (primary === CORRUPT) {
    return new PermanentError(
      `the SQLite database ${where} is damaged (${(error as Error).message}): restore it from a backup, or move it aside to start a new one`,
      { code: 'SQLITE_CORRUPT', cause: error },
    );
  }
  return error as Error;
}
