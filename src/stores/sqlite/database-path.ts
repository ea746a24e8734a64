import { closeSync, lstatSync, openSync, readlinkSync, statSync } from 'node:fs';
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
