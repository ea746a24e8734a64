// Incremental runs over a page-numbered API sorted by the cursor: a record that changes mid-run
// moves to the end, and every later record shifts back one place. None may be lost.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { startFaultServer, type FaultServer } from '../helpers/fault-server.ts';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { tableRows } from './sqlite-rows.ts';

const RECORDS = 400;
const PAGE = 20;
const ARGS = [
  '--cursor-field',
  'updatedAt',
  '--page-param',
  'page',
  '--page-size-param',
  'per_page',
  '--page-size',
  String(PAGE),
];

async function importOnce(server: FaultServer, db: string) {
  const finished = await runExample('rest-import', ['--api-url', server.url, '--db-path', db, ...ARGS], {
    timeoutMs: 60_000,
  });
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result' && finished.code === 0, finished.stderr);
  return result;
}

/** The table as a user sees it, and the collection as the server holds it: (id, data) by id. */
const byId = (rows: { id: string; data: string }[]) =>
  rows.map((r) => [r.id, r.data]).sort(([a], [b]) => Number(a) - Number(b));

it('records that move to the end mid-run push none past the run: after one more run, every record in its newest version', async () => {
  await using server = await startFaultServer({ records: RECORDS, pagination: 'page' });
  // While page k is asked for, a record from page 1 (read already) changes and moves to the end.
  let moves = 0;
  server.faults = (request) => {
    if (request.n % 2 === 0 && moves < 8) {
      moves++;
      server.update(moves, {
        name: `moved ${moves}`,
        updatedAt: new Date(Date.UTC(2027, 0, 1) + moves * 1000).toISOString(),
      });
    }
    return undefined;
  };
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-pages-')), 'rest.db');
  const first = await importOnce(server, db);
  assert.equal(moves, 8, 'records moved during the first run');
  const second = await importOnce(server, db);
  const expected = byId(server.list().map((r) => ({ id: String(r.id), data: JSON.stringify(r) })));
  const table = byId(tableRows(db, 'items', 'id') as { id: string; data: string }[]);
  const missing = expected.filter(([id]) => !table.some(([t]) => t === id)).map(([id]) => id);
  assert.deepEqual(
    missing,
    [],
    `missing after two runs (first run read ${first.counts.read}, second ${second.counts.read})`,
  );
  assert.deepEqual(table, expected);
});

// A page of one record shows no order yet: the descent comes on page 2, after page 1's cursor was claimed.
for (const perPage of [10, 1]) {
  it(`an API that lists the newest first, ${perPage} a page: a run that fails on page 3 leaves no checkpoint past the pages it never read`, async () => {
    await using server = await startFaultServer({ records: 30, order: 'newest-first' });
    const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-newest-first-')), 'rest.db');
    const args = ['--api-url', `${server.url}?per_page=${perPage}`, '--db-path', db, '--cursor-field', 'updatedAt'];
    server.faults = (request) => (request.query.page === '3' ? { kind: 'status', status: 503 } : undefined);
    const failed = await runExample('rest-import', [...args, '--max-retries', '0', '--batch-size', String(perPage)]);
    const result = parseEventLines(failed.stdout).at(-1);
    assert.ok(result?.type === 'result');
    assert.deepEqual([failed.code, result.counts.inserted], [75, 2 * perPage], failed.stderr);
    server.faults = {};
    const rerun = await runExample('rest-import', args);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(
      tableRows(db, 'items', 'CAST(id AS INTEGER)').map((r) => Number(r.id)),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'the ten records of page 3 were lost: the failed run had committed the newest cursor as its checkpoint',
    );
    assert.match(
      failed.stdout,
      /records are not in ascending order of updatedAt .*the checkpoint moves only when every page has been read/,
    );
  });
}
