// The run lock follows the database file, not the name a run gives it.
import assert from 'node:assert/strict';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { parseEventLines } from '../../helpers/protocol.ts';
import { fixture, runJobFile, type SpawnOptions } from '../../helpers/spawn.ts';

const importInto = (db: string, args: string[], onOutput?: SpawnOptions['onOutput']) =>
  runJobFile(fixture('jobs/counter-import.ts'), ['--db-path', db, ...args], {
    ...(onOutput ? { onOutput } : {}),
    timeoutMs: 60_000,
  });

it('a second run through a symlink to the same database exits 75 (LOCKED) and writes nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-lock-'));
  const real = path.join(dir, 'real.db');
  const alias = path.join(dir, 'alias.db');
  assert.equal((await importInto(real, ['--count', '10'])).code, 0);
  await symlink(real, alias);
  const second = Promise.withResolvers<Awaited<ReturnType<typeof importInto>>>();
  let started = false;
  const first = importInto(real, ['--count', '8000', '--pause-ms', '50', '--page-size', '100'], (out) => {
    if (started || !out.includes('"type":"progress"')) return;
    started = true; // the first run holds the lock now: start the second through the symlink
    importInto(alias, ['--count', '3000', '--variant', 'b']).then(second.resolve, second.reject);
  });
  void first.then(() => started || second.reject(new Error('the first run ended without a progress line')));
  const [a, b] = await Promise.all([first, second.promise]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 75, b.stderr);
  const last = parseEventLines(b.stdout).at(-1);
  assert.ok(last?.type === 'result');
  assert.equal(last.error?.code, 'LOCKED');
  const db = new DatabaseSync(real, { readOnly: true });
  try {
    const labels = db.prepare("SELECT count(*) AS n FROM items WHERE label LIKE 'b-%'").get();
    assert.deepEqual({ ...labels }, { n: 0 }, 'the second run wrote nothing');
  } finally {
    db.close();
  }
});
