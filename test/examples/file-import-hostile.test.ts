// Files that another program, or a careless user, hands file-import: paths no read can follow, a
// file rewritten while it is imported. Each run ends exact, or with its documented code and a
// message naming the problem; never 1, never 0 with rows missing.
import assert from 'node:assert/strict';
import { existsSync, symlinkSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import type { Finished, SpawnOptions } from '../helpers/spawn.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-hostile-'));
  return {
    dir,
    db: path.join(dir, 'h.db'),
    file: async (name: string, text: string) => (await writeFile(path.join(dir, name), text), path.join(dir, name)),
  };
}
const importFile = (db: string, file: string, args: string[] = [], options: SpawnOptions = {}) =>
  runExample('file-import', ['--db-path', db, '--file', file, ...args], { timeoutMs: 60_000, ...options });

function result(finished: Finished) {
  const last = parseEventLines(finished.stdout).at(-1);
  assert.ok(last?.type === 'result', `no result line; stderr: ${finished.stderr}`);
  return last;
}
function failure(finished: Finished, code: number, errorCode: string, message: RegExp) {
  const last = result(finished);
  assert.deepEqual([finished.code, last.error?.code], [code, errorCode], finished.stderr);
  assert.match(last.error?.message ?? '', message);
  assert.doesNotMatch(finished.stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
}
function userTables(db: string): unknown[] {
  if (!existsSync(db)) return [];
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    const sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\'";
    return database.prepare(sql).all();
  } finally {
    database.close();
  }
}
describe('file-import: paths no read can follow', () => {
  it('a symlink loop, a file used as a folder, a name too long: 65 FILE_UNREADABLE saying which, nothing written', async () => {
    const w = await workspace();
    const plain = await w.file('plain.csv', 'id\n1\n');
    symlinkSync('loop-b.csv', path.join(w.dir, 'loop-a.csv'));
    symlinkSync('loop-a.csv', path.join(w.dir, 'loop-b.csv'));
    const cases: [string, string, RegExp][] = [
      ['a symlink loop', path.join(w.dir, 'loop-a.csv'), /symbolic links point at each other in a loop \(ELOOP\)/],
      ['a file used as a folder', path.join(plain, 'x.csv'), /a part of the path before the last is a file/],
      ['a name too long', path.join(w.dir, `${'n'.repeat(300)}.csv`), /longer than the system allows \(ENAMETOOLONG\)/],
    ];
    for (const [what, file, message] of cases) {
      for (const args of [
        ['--key', 'id'],
        ['--format', 'csv'],
      ]) {
        const finished = await importFile(w.db, file, args);
        assert.notEqual(finished.code, 1, `${what}: exit 1 is a ferry bug\n${finished.stderr}`);
        failure(finished, 65, 'FILE_UNREADABLE', message);
      }
    }
    assert.deepEqual(userTables(w.db), []);
  });
});
