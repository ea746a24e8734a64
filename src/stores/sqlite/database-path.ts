import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  openSync,
  readlinkSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../errors/errors.ts';

/**
 * Checks a database path before SQLite opens it, whose own answer ("unable to open database
 * file") names neither the path nor the fix, and would read as a passing failure worth retrying.
 */
export function checkDatabasePath(file: string): void {
  if (file === ':memory:') return;
  const target = statOf(file);
  if (target?.isDirectory()) {
    const example = path.join(file, 'ferry.db');
    throw invalid(`is a folder: give the path of a database file in it (created when missing), e.g. ${example}`);
  }
  if (target && !target.isFile()) {
    // SQLite would answer "disk I/O error" (75, as if worth retrying) for /dev/null, or wait on a FIFO.
    throw invalid(`is ${kindOf(target)}, not a file: give the path of a database file (created when missing)`);
  }
  if (target) return;
  const folder = path.dirname(path.resolve(file));
  const parent = statOf(folder);
  if (!parent) throw invalid(`is in a folder that does not exist (${folder}): create it, or choose another path`);
  if (!parent.isDirectory()) throw invalid(`is inside ${folder}, which is a file, not a folder`);
  createIn(folder);

  /** A symbolic link to a file in a folder that does not exist: SQLite says only "unable to open database file". */
  function danglingLink(): void {
    if (statOf(file) || !lstatSync(file).isSymbolicLink()) return;
    const target = path.resolve(path.dirname(path.resolve(file)), readlinkSync(file));
    if (statOf(path.dirname(target))?.isDirectory()) return; // SQLite makes the file it points to
    throw invalid(
      `is a symbolic link to ${target}, in a folder that does not exist: create it, or point the link elsewhere`,
    );
  }

  function invalid(what: string, cause?: unknown): ConfigError {
    return new ConfigError(`the database path ${file} ${what}`, { code: 'DB_PATH_INVALID', cause });
  }

  /**
   * Creates the missing database file (empty: SQLite takes it for a new database), so that a
   * folder no file can be made in (/proc, a read-only mount, one without write permission) is
   * said as such, not as SQLite's "unable to open database file" (75, as if worth retrying).
   */
  function createIn(folder: string): void {
    try {
      closeSync(openSync(file, 'wx'));
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      if (code === 'EEXIST') return danglingLink(); // another process made it meanwhile, or a link to nothing
      if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOSPC') return; // passing: SQLite says so
      throw invalid(`cannot be created in ${folder} (${message}): choose a folder the job can write to`, error);
    }
  }
}

function kindOf(stat: ReturnType<typeof statSync>): string {
  if (stat?.isFIFO()) return 'a pipe';
  if (stat?.isSocket()) return 'a socket';
  return 'a device';
}

function statOf(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const why = `the database path ${file} cannot be reached (${message}): check the path and the permissions of its folders`;
    throw new ConfigError(why, { code: 'DB_PATH_INVALID', cause: error });
  }
}

/**
 * What keeps SQLite from writing the database `file`, when a file or folder is to blame: the file,
 * its -wal or -shm (left by another user's run, or made read-only with the file), or the folder in
 * which SQLite must create those two; undefined when none is (SQLite's own words then stand).
 */
export function notWritable(file: string): string | undefined {
  if (file === ':memory:' || file === '') return undefined;
  const folder = path.dirname(path.resolve(file));
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    const why = existsSync(name) ? cannotWrite(name) : undefined;
    if (why) return why;
  }
  if (existsSync(`${file}-wal`) && existsSync(`${file}-shm`)) return undefined;
  const why = cannotWrite(folder);
  return why && `${why}, and SQLite must create files beside ${path.basename(file)} there`;
}

/** Why this process cannot write the file or folder `name` (a read-only mount, permissions), or undefined. */
export function cannotWrite(name: string): string | undefined {
  const what = (why: string) => `${name} ${why}`;
  try {
    accessSync(name, constants.W_OK);
    return undefined;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'EROFS') return what('is on a read-only file system');
    if (code === 'EACCES' || code === 'EPERM') return what(`cannot be written by this user (${code})`);
    return undefined;
  }
}

// Less room than this after a failed write: the disk is what failed it.
const NEARLY_FULL = 1 << 20;

/**
 * Which full disk failed a write of the database `file`, for SQLite's "disk I/O error" or "database
 * or disk is full": the database's folder, or the folder of SQLite's temporary files (TMPDIR).
 */
export function fullDisk(file: string): string | undefined {
  if (file === ':memory:' || file === '') return undefined;
  const temporary = process.env.SQLITE_TMPDIR ?? tmpdir();
  const folders: [string, string][] = [
    [path.dirname(path.resolve(file)), ''],
    [temporary, " (SQLite's temporary files: free space there, or set TMPDIR to a roomier folder)"],
  ];
  for (const [folder, note] of folders) {
    try {
      const { bavail, bsize } = statfsSync(folder);
      if (bavail * bsize < NEARLY_FULL) return `the disk holding ${folder} is full${note}`;
    } catch {
      // a folder that cannot be read is not the answer here
    }
  }
  return undefined;
}
