// A file that can be read once: `… | file-import --file /dev/stdin` and named pipes. file-import
// reads its file twice (the columns and their types, then the rows); the second read of a pipe
// found nothing, and the import ended "succeeded" with no rows (without --key, deleting the rows
// the same source brought last time). ferry now reads a pipe through a temporary copy.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sidecarFor } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { run } from '../helpers/spawn.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-pipes-'));
  return { dir, db: path.join(dir, 'p.db'), spools: path.join(dir, 'tmp') };
}

/** The job fed `text` through a shell pipe on /dev/stdin, with TMPDIR in the workspace (made, unless `asIs`). */
async function piped(w: { db: string; spools: string }, text: string, args: string[], asIs = false) {
  const csv = path.join(w.spools, '..', `in-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(csv, text);
  if (!asIs) execFileSync('mkdir', ['-p', w.spools]);
  const { command, args: leading } = await sidecarFor('file-import');
  const job = [command, ...leading, '--db-path', w.db, '--file', '/dev/stdin', '--format', 'csv', ...args]
    .map((a) => `'${a}'`)
    .join(' ');
  const finished = await run('sh', ['-c', `cat '${csv}' | ${job}`], { env: { TMPDIR: w.spools } });
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', finished.stderr);
  return { finished, result };
}

describe('file-import: --file a pipe', () => {
  it('/dev/stdin from a shell pipe, --key: every row, and a rerun changes nothing', async () => {
    const w = await workspace();
    const text = 'id,v\n1,a\n2,b\n3,c\n';
    const first = await piped(w, text, ['--key', 'id', '--table', 'p']);
    assert.equal(first.finished.code, 0, first.finished.stderr);
    assert.deepEqual(first.result.counts, { read: 3, inserted: 3, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
    assert.deepEqual(userColumns(tableRows(w.db, 'p', 'id')), [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
    const again = await piped(w, text, ['--key', 'id', '--table', 'p']);
    assert.deepEqual(again.result.counts, { read: 3, inserted: 0, updated: 0, unchanged: 3, deleted: 0, rejected: 0 });
    assert.deepEqual(await readdir(w.spools), [], 'the temporary copy goes with the process');
  });

  it('/dev/stdin without --key replaces the rows it brought with the ones it brings, never with none', async () => {
    const w = await workspace();
    await piped(w, 'id,v\n1,a\n2,b\n3,c\n', ['--table', 'r']);
    const second = await piped(w, 'id,v\n1,a\n2,b\n', ['--table', 'r']);
    assert.equal(second.finished.code, 0, second.finished.stderr);
    assert.deepEqual(second.result.counts, { read: 2, inserted: 0, updated: 0, unchanged: 2, deleted: 1, rejected: 0 });
    assert.deepEqual(userColumns(tableRows(w.db, 'r', 'id')), [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  });

  // The copy's folder failed to be made: 65 "/dev/stdin does not exist" (ENOENT), "cannot be read (permission
  // denied)" (EACCES), exit 1 (EROFS): each named the pipe, which was fine, and not TMPDIR.
  it('TMPDIR missing or a file: 64 TMPDIR_INVALID naming it; with a TMPDIR that can hold the copy, every row', async () => {
    const w = await workspace();
    const text = 'id,v\n1,a\n2,b\n';
    const file = path.join(w.dir, 'a-file');
    await writeFile(file, '');
    for (const spools of [path.join(w.dir, 'missing'), file]) {
      const { finished, result } = await piped({ ...w, spools }, text, ['--key', 'id', '--table', 'p'], true);
      assert.deepEqual([finished.code, result.error?.code], [64, 'TMPDIR_INVALID'], finished.stderr);
      assert.match(result.error?.message ?? '', new RegExp(`${spools} \\(TMPDIR\\) cannot hold one`));
    }
    assert.equal((await piped(w, text, ['--key', 'id', '--table', 'p'])).finished.code, 0);
    assert.equal(tableRows(w.db, 'p', 'id').length, 2);
  });

  it('a named pipe with a writer: every row', async () => {
    const w = await workspace();
    const fifo = path.join(w.dir, 'f.csv');
    execFileSync('mkfifo', [fifo]);
    const { command, args } = await sidecarFor('file-import');
    const writer = spawn('sh', ['-c', `printf 'id,v\\n1,a\\n2,b\\n' > '${fifo}'`]);
    const written = once(writer, 'exit');
    const finished = await run(command, [...args, '--db-path', w.db, '--file', fifo, '--key', 'id']);
    await written;
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(userColumns(tableRows(w.db, 'f', 'id')), [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  });

  it('a named pipe nobody writes, then SIGTERM: 130 with a result line within the 10 s grace, nothing written', async () => {
    const w = await workspace();
    const fifo = path.join(w.dir, 'never.csv');
    execFileSync('mkfifo', [fifo]);
    const { command, args } = await sidecarFor('file-import');
    const started = Date.now();
    const child = spawn(command, [...args, '--db-path', w.db, '--file', fifo, '--key', 'id'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"type":"start"') && !child.killed) child.kill('SIGTERM'); // one signal, as `timeout` sends
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    const result = parseEventLines(stdout).at(-1);
    assert.equal(code, 130);
    assert.ok(result?.type === 'result' && result.status === 'cancelled', stdout);
    assert.match(result.error?.message ?? '', /received SIGTERM and did not stop within 10 s/);
    assert.ok(Date.now() - started < 20_000, 'the grace is 10 s, not for ever');
  });

  it('--file - (standard input to many tools): 64, and the message says to pass /dev/stdin, with or without --format', async () => {
    const w = await workspace();
    const { command, args } = await sidecarFor('file-import');
    for (const format of [[], ['--format', 'csv']]) {
      const finished = await run(command, [...args, '--db-path', w.db, '--file', '-', ...format], { cwd: w.dir });
      const result = parseEventLines(finished.stdout).at(-1);
      assert.equal(finished.code, format.length ? 65 : 64, finished.stdout);
      assert.ok(result?.type === 'result', finished.stderr);
      assert.match(result.error?.message ?? '', /to read standard input, pass \/dev\/stdin/);
    }
  });
});
