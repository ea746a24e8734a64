import { statSync } from 'node:fs';
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
    throw new ConfigError(
      `the database path ${file} is a folder: give the path of a database file in it (created when missing), e.g. ${path.join(file, 'ferry.db')}`,
      { code: 'DB_PATH_INVALID' },
    );
  }
  if (target) return;
  const folder = path.dirname(path.resolve(file));
  const parent = statOf(folder);
  if (!parent)
    throw new ConfigError(
      `the database path ${file} is in a folder that does not exist (${folder}): create it, or choose another path`,
      { code: 'DB_PATH_INVALID' },
    );
  if (!parent.isDirectory())
    throw new ConfigError(`the database path ${file} is inside ${folder}, which is a file, not a folder`, {
      code: 'DB_PATH_INVALID',
    });
}

function statOf(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw new ConfigError(
      `the database path ${file} cannot be reached (${(error as Error).message}): check the path and the permissions of its folders`,
      { code: 'DB_PATH_INVALID', cause: error },
    );
  }
}
