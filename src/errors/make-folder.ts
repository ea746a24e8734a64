import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors.ts';

/**
 * `mkdir -p` for a folder the user named (`ferry build --out`, `ferry init <dir>`), failing as a
 * usage error (64) that says why. Not `mkdir(…, { recursive: true })`: under /proc, where a child
 * can never be made, Node's retries it for ever at full CPU; and its ENOENT or ENOTDIR reached the
 * user as an "unexpected error" with a stack (exit 1).
 */
export async function makeFolder(dir: string, named: string): Promise<void> {
  try {
    await makeEach(path.resolve(dir));
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === undefined || !(code in WHY)) throw error;
    throw new ConfigError(`cannot create ${dir}, ${named}: ${WHY[code]}; name a folder that can be made`, {
      code: 'FOLDER_INVALID',
      cause: error,
    });
  }
}

const WHY: Record<string, string> = {
  ENOENT: 'a folder on the way cannot hold one (a broken symbolic link, or a system folder such as /proc)',
  ENOTDIR: 'a file stands where a folder on the way should be',
  EEXIST: 'a file (or a broken symbolic link) has that name',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
};

async function makeEach(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'EEXIST') {
      if (await isFolder(dir)) return;
      throw error;
    }
    const parent = path.dirname(dir);
    // ENOENT in a folder that is there is final: retrying it is what never ends.
    if (code !== 'ENOENT' || parent === dir || (await isFolder(parent))) throw error;
    await makeEach(parent);
  }
  await mkdir(dir).catch(async (error: NodeJS.ErrnoException) => {
    if (!(error.code === 'EEXIST' && (await isFolder(dir)))) throw error;
  });
}

async function isFolder(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() ?? false;
}
