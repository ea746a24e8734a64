import { statSync, type BigIntStats } from 'node:fs';
import { RetryableError } from '../../errors/errors.ts';
import { formatBytes } from './record-limit.ts';

/**
 * A check that `file` is still the file it was when this was called, for a job that reads it more
 * than once (file-import: its columns and their types, then its rows). Without it, an exporter
 * that rewrites the file, or renames a new one over it, while the job runs makes the reads see
 * two different files: a second read of an empty file makes a replace delete every row the file
 * brought, and the run ends well. The returned function throws a RetryableError (`FILE_CHANGED`,
 * exit 75) once the file's identity (device and inode), size or modification or change time
 * differ; call it after each read. A path that is not a regular file (a pipe, read through a copy;
 * a device; nothing) is not checked: the readers say what is wrong with it.
 */
export function fileVersionCheck(file: string): () => void {
  const first = regularFile(file);
  if (first === undefined) return () => {};
  return () => {
    const now = regularFile(file);
    const change = now === undefined ? 'it is gone' : changeOf(first, now);
    if (change === undefined) return;
    throw new RetryableError(
      `${file} changed while it was read (${change}): its reads (the columns and their types, then the rows) must see one file, so nothing of this read is kept. Run again once the program writing it is done; to avoid this, have it write to another name and rename the file into place when it is complete`,
      { code: 'FILE_CHANGED' },
    );
  };
}

function regularFile(file: string): BigIntStats | undefined {
  try {
    const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
    return stat?.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}

/** What differs between two stats of a path, said for a user; undefined when nothing does. */
function changeOf(before: BigIntStats, after: BigIntStats): string | undefined {
  if (before.dev !== after.dev || before.ino !== after.ino) return 'another file was put in its place';
  if (before.size !== after.size)
    return `its size went from ${formatBytes(Number(before.size))} to ${formatBytes(Number(after.size))}`;
  if (before.mtimeNs !== after.mtimeNs || before.ctimeNs !== after.ctimeNs) return 'it was written to';
  return undefined;
}
