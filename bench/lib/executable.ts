import path from 'node:path';
import { buildJob, defaultCacheDir } from '../../src/build/index.ts';
import { dropFromPageCache } from './page-cache.ts';

/** A job as users run it: ferry build's single executable for this machine, read back from disk. */
export async function buildExecutable(entry: string, scratch: string): Promise<string> {
  const { outputs } = await buildJob({
    entry,
    outDir: path.join(scratch, 'built'),
    conditions: ['source'],
    cacheDir: defaultCacheDir(process.env),
    env: process.env,
    cwd: scratch,
  });
  const file = outputs[0]?.file;
  if (!file) throw new Error(`ferry build made no executable of ${entry}`);
  await dropFromPageCache(file);
  return file;
}
