import type { Socket } from 'node:net';
import { ConfigError, RetryableError } from '../../errors/errors.ts';

/**
 * A path every read of `file` can open again. Readers read a file anew for every pass
 * (file-import: once for the columns and their types, once for the rows), and a pipe or a FIFO
 * (`… | job --file /dev/stdin`) gives its bytes once: a second pass would read nothing, and an
 * import would end "succeeded" with no rows. So the first read of one copies it into a temporary
 * file, which every read then opens; the copy goes when the process exits. A regular file, a
 * device or a path that does not exist is read as it is (openBytes says what is wrong with it).
 */
export function readablePath(file: string, signal?: AbortSignal): Promise<string> {
  let path = spools.get(file);
  if (path === undefined) {
    path = spoolIfPipe(file, signal);
    spools.set(file, path);
    path.catch(() => spools.delete(file)); // a failed or cancelled copy is tried again by the next read
  }
  return path;
}

const spools = new Map<string, Promise<string>>();
/** FIFOs whose open still waits for a writer: released at exit, or the exit would wait on them for ever. */
const opening = new Set<string>();
let spoolDir: string | undefined;
/** Names the copies: spools.size would give two FIFOs read at once the same name. */
let copies = 0;

async function spoolIfPipe(file: string, signal: AbortSignal | undefined): Promise<string> {
  const fs = process.getBuiltinModule('node:fs');
  const kind = await fs.promises.stat(file).catch(() => undefined);
  if (!kind?.isFIFO()) return file;
  const { tmpdir } = process.getBuiltinModule('node:os');
  const { join } = process.getBuiltinModule('node:path');
  const { pipeline } = process.getBuiltinModule('node:stream/promises');
  if (spoolDir === undefined) {
    spoolDir = makeSpoolDir(file, tmpdir());
    const dir = spoolDir;
    process.once('exit', () => {
      releaseOpening();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  const copy = join(spoolDir, String(copies++));
  try {
    await pipeline(await pipeStream(file), fs.createWriteStream(copy, { flags: 'wx', mode: 0o600 }), { signal });
  } catch (error) {
    fs.rmSync(copy, { force: true });
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    throw diskFull(file, spoolDir, error);
  }
  return copy;
}

/** The disk of `folder`, where a pipe's copy goes, is full: a later run may find room. */
function diskFull(file: string, folder: string, cause: unknown): RetryableError {
  const message = `${file} is a pipe, read through a copy in ${folder}, and the disk there is full: free space, or set TMPDIR to a roomier folder`;
  return new RetryableError(message, { code: 'DISK_FULL', cause });
}

/**
 * The folder for the copies, in TMPDIR. One that is missing, a file, read-only or not the user's
 * is said as such: its error names no file but the pipe's, as if the pipe were what was wrong.
 */
function makeSpoolDir(file: string, folder: string): string {
  const fs = process.getBuiltinModule('node:fs');
  try {
    return fs.mkdtempSync(process.getBuiltinModule('node:path').join(folder, 'ferry-spool-'));
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOSPC') throw diskFull(file, folder, error);
    const where = `${file} is a pipe, read through a copy in a temporary folder, and ${folder} (TMPDIR)`;
    throw new ConfigError(`${where} cannot hold one (${code}): set TMPDIR to a folder the job can write to`, {
      code: 'TMPDIR_INVALID',
      cause: error,
    });
  }
}

/**
 * The FIFO's bytes, read as a pipe is (by the event loop, not a thread of the pool): a writer that
 * stalls then holds no thread a stopping process would wait for. Opening waits for a writer.
 */
async function pipeStream(file: string): Promise<Socket> {
  const fs = process.getBuiltinModule('node:fs');
  opening.add(file);
  try {
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(file, 'r', (error, fd) => (error ? reject(error) : resolve(fd))),
    );
    return new (process.getBuiltinModule('node:net').Socket)({ fd, readable: true, writable: false });
  } finally {
    opening.delete(file);
  }
}

/** Lets an open that waits for a writer return (as if one came and went), so the process can exit. */
function releaseOpening(): void {
  const fs = process.getBuiltinModule('node:fs');
  for (const file of opening) {
    try {
      fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // no open waits on it any more
    }
  }
}
