import { PermanentError, RetryableError } from '../../errors/errors.ts';
import { tableChanged } from '../table-changed.ts';
import { fullDisk, notWritable } from './write-trouble.ts';

// SQLite primary result codes (the low byte of an extended code).
export const BUSY = 5;
export const LOCKED = 6;
const ERROR = 1,
  READONLY = 8,
  IOERR = 10,
  CORRUPT = 11,
  FULL = 13,
  CANTOPEN = 14,
  CONSTRAINT = 19,
  MISMATCH = 20,
  NOTADB = 26;
// SQLITE_ERROR for a table or column that is not there (any more).
const GONE = /^no such table|^no such column|has no column named/;
// A column added to a STRICT table (made by another tool: ferry makes none) with a type STRICT does not take.
const STRICT_TYPE = /unknown datatype for ([^.]+)\.(.+): "(.*)"$/;
// A CHECK, NOT NULL, UNIQUE or trigger of the table's own (ferry's tables declare none but the key) refused a row.
const REFUSED =
  'a rule of the table (its own CHECK, NOT NULL, UNIQUE or a trigger) refused a row of the batch, which was not written ' +
  '(batches before it were); fix that row at the source, or change the rule';
// Those a later run can get past (busy, locked, out of memory, I/O error, disk full, cannot open), by ferry's code.
const RETRYABLE: Record<number, string> = { 5: 'BUSY', 6: 'BUSY', 7: 'IO', 10: 'IO', 13: 'FULL', 14: 'IO' };

/** The primary result code of a SQLite error (SQLITE_BUSY for BUSY_SNAPSHOT…), undefined for any other error. */
export function primaryCode(error: unknown): number | undefined {
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' ? errcode & 0xff : undefined;
}

/** A STRICT table takes only SQLite's own type names: the column ferry would add needs one of them. */
function strictType(message: string, [, table, column, type]: RegExpExecArray, cause: unknown): PermanentError {
  const advice = `table ${table} is STRICT, where SQLite takes only the types INTEGER, REAL, TEXT, BLOB and ANY, so it cannot add column ${column} as ${type}: add the column yourself (ALTER TABLE ${table} ADD COLUMN ${column} TEXT, or INTEGER, REAL), or give it such a type (file-import: --types ${column}=text)`;
  return new PermanentError(`${message}: ${advice}`, { code: 'TABLE_STRICT', cause });
}

/**
 * Tells a passing database condition (busy, disk full) from bad data (a constraint) and from a
 * file that is not a database at all (65: retrying will not mend it). `path` is the database file.
 */
export function classifySqliteError(error: unknown, doing: string, path?: string): Error {
  const file = path ?? 'the database file';
  const primary = primaryCode(error);
  const { message: text } = error as Error;
  const message = `SQLite ${doing}: ${text}`;
  const options = (code: string) => ({ code, cause: error });
  if (primary === undefined) return error as Error;
  // "unable to open database file" from a read-only mount or a folder of another user's is no passing failure.
  const blocked = (primary === READONLY || primary === CANTOPEN) && path !== undefined ? notWritable(path) : undefined;
  if (blocked !== undefined)
    return new PermanentError(
      `${message}: ${blocked}; let the job's user write there, or move the database`,
      options('SQLITE_READONLY'),
    );
  // "disk I/O error" from a full disk, or a full disk that is not the database's, names no disk.
  const full = primary === IOERR || primary === FULL || primary === CANTOPEN ? path && fullDisk(path) : undefined;
  if (full) return new RetryableError(`${message}: ${full}; run again once there is room`, options('SQLITE_FULL'));
  const retryable = RETRYABLE[primary];
  if (retryable !== undefined) return new RetryableError(message, options(`SQLITE_${retryable}`));
  switch (primary) {
    case ERROR: {
      if (GONE.test(text)) return tableChanged(message, error);
      const strict = STRICT_TYPE.exec(text);
      return strict ? strictType(message, strict, error) : (error as Error);
    }
    case CONSTRAINT:
    case MISMATCH:
      return new PermanentError(`${message}: ${REFUSED}`, options('SQLITE_CONSTRAINT'));
    case READONLY:
      return new PermanentError(`${message} (is the database file writable?)`, options('SQLITE_READONLY'));
    case NOTADB:
      return new PermanentError(
        `not a SQLite database: ${file} (${text}); point the job at its database, or move this file aside`,
        options('SQLITE_NOT_A_DATABASE'),
      );
    case CORRUPT:
      return new PermanentError(
        `the SQLite database ${file} is damaged (${text}): restore it from a backup, or move it aside to start a new one`,
        options('SQLITE_CORRUPT'),
      );
  }
  return error as Error;
}
