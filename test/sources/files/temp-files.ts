import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A temp folder for one test file, removed when its tests end; `write` puts a file in it. */
export async function tempFiles(): Promise<{
  dir: string;
  write(name: string, content: string | Uint8Array): Promise<string>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-files-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return {
    dir,
    async write(name, content) {
      const file = path.join(dir, name);
      await writeFile(file, content);
      return file;
    },
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** The records of the ok items, for tests that only look at the data. */
export async function records<T>(items: AsyncIterable<{ ok: true; record: T } | { ok: false }>): Promise<T[]> {
  return (await collect(items)).flatMap((item) => (item.ok ? [item.record] : []));
}
