import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { writeFileAtomic } from 'ferry/files';

it('replaces a file whole and leaves no temp file behind', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-atomic-'));
  const file = path.join(dir, 'out.json');
  await writeFile(file, 'old');
  await writeFileAtomic(file, '{"new":true}');
  assert.equal(await readFile(file, 'utf8'), '{"new":true}');
  assert.deepEqual(await readdir(dir), ['out.json']);
});

it('a failed write leaves the old content and no temp file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-atomic-'));
  await assert.rejects(writeFileAtomic(path.join(dir, 'missing-dir', 'x'), 'data'));
  assert.deepEqual(await readdir(dir), []);
});
