import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

/**
 * Copies one file out of a .tgz (an npm package), streaming: the tarball is never unpacked
 * whole. npm's own tar reads it, long names and pax headers included. Returns false when the
 * archive has no such member; a damaged archive throws.
 */
export async function extractFromTgz(tgz: string, member: string, dest: string): Promise<boolean> {
  let written: Promise<void> | undefined;
  const parser = new Parser({
    strict: true, // a damaged archive is an error, not a warning and a shorter list
    filter: (name, entry) => written === undefined && name === member && isFile(entry as ReadEntry),
    onReadEntry: (entry) => {
      written = pipeline(entry, createWriteStream(dest, { mode: 0o755 }));
    },
  });
  const ended = once(parser, 'end');
  createReadStream(tgz)
    .on('error', (error) => parser.emit('error', error))
    .pipe(parser);
  await ended;
  if (written === undefined) return false;
  await written;
  return true;
}

function isFile(entry: ReadEntry): boolean {
  return entry.type === 'File' || entry.type === 'OldFile';
}
