// Why SQLite could not write: its own words ("unable to open database file", "disk I/O error",
// "database or disk is full") name neither the file nor the folder, nor which disk is full.
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
