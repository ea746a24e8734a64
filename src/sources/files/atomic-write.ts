import path from 'node:path';

/**
 * Writes a file so that a reader, or a crash at any instant, sees either the old content or
 * the new, never a mix: a temp file in the same folder, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  // Loaded on first use: node:crypto and node:fs/promises cost milliseconds at every start-up.
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  const { open, rename, rm } = process.getBuiltinModule('node:fs/promises');
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync(); // the bytes are on disk before the name points at them
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir); // the rename itself survives a power loss
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const handle = await process.getBuiltinModule('node:fs/promises').open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
