import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Removes a SQLite database and what lives beside it: its WAL, its shared memory, ferry's run lock. */
export async function removeDb(db: string): Promise<void> {
  const dir = path.dirname(db);
  const base = path.basename(db);
  await Promise.all(
    (await readdir(dir)).filter((f) => f.startsWith(base)).map((f) => rm(path.join(dir, f), { force: true })),
  );
}
