// Jobs started together (two clicks, cron and a person) open the same new database at once.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { fixture, run } from '../../helpers/spawn.ts';

const OPENERS = 6;
const ROUNDS = 5;

it(`${OPENERS} processes opening one new database file at the same instant all succeed (${ROUNDS} rounds)`, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-open-race-'));
  const outcomes: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const db = path.join(dir, `race-${round}.db`);
    const at = String(Date.now() + 1200); // after every process has started
    const runs = Array.from({ length: OPENERS }, () =>
      run(process.execPath, ['--conditions=source', fixture('scripts/open-store-at.ts'), db, at]),
    );
    for (const finished of await Promise.all(runs)) outcomes.push(finished.stdout.trim() || finished.stderr.trim());
  }
  assert.deepEqual(
    outcomes.filter((o) => o !== 'ok'),
    [],
    'every open succeeded',
  );
  assert.equal(outcomes.length, OPENERS * ROUNDS);
});
