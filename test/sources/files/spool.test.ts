import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { readablePath } from '../../../src/sources/files/spool.ts';

it('two named pipes read at once each get a copy of their own', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-spool-'));
  const fifos = ['a.csv', 'b.csv'].map((name) => path.join(dir, name));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  const writers = fifos.map((fifo, i) => spawn('sh', ['-c', `printf 'id\\n${i}\\n' > '${fifo}'`]));
  const written = writers.map((w) => once(w, 'exit'));
  const copies = await Promise.all(fifos.map((fifo) => readablePath(fifo)));
  await Promise.all(written);
  assert.notEqual(copies[0], copies[1]);
  assert.deepEqual(await Promise.all(copies.map((copy) => readFile(copy, 'utf8'))), ['id\n0\n', 'id\n1\n']);
});
