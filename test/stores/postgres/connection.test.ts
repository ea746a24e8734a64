// What a run does when the server goes away or refuses it: a real job process against a real server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FerryEvent } from 'ferry';
import { parseEventLines } from '../../helpers/protocol.ts';
import { fixture, runJobFile, type Finished } from '../../helpers/spawn.ts';
import { postgresUnavailable, suiteSchemas, TEST_DATABASE_URL, type TestSchema } from './test-database.ts';

const JOB = fixture('jobs/counter-import.ts');

function resultOf(finished: Finished): Extract<FerryEvent, { type: 'result' }> {
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', `a result line is last:\n${finished.stdout}\n${finished.stderr}`);
  return result;
}

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('postgres connection', () => {
    const fresh = suiteSchemas();
    const items = (db: TestSchema) => db.query('SELECT * FROM items ORDER BY id');
    const checkpoint = async (db: TestSchema) =>
      (await db.query<{ value: string }>(`SELECT value FROM _ferry_checkpoints WHERE job = 'counter-import'`))[0]
        ?.value;

    it("the session killed mid-run (pg_terminate_backend): exit 75, no partial batch, and the rerun completes to a clean run's table", async () => {
      const args = ['--count', '20000', '--batch-size', '250', '--pause-ms', '10'];
      const reference = await fresh();
      assert.equal((await runJobFile(JOB, ['--db-url', reference.url, ...args])).code, 0);

      const db = await fresh();
      let terminated: Promise<boolean> | undefined;
      const killed = await runJobFile(JOB, ['--db-url', db.url, ...args], {
        onOutput: (out: string) => {
          if (terminated || ![...out.matchAll(/"done":(\d+)/g)].some((m) => Number(m[1]) >= 3000)) return;
          terminated = db.endRunSession('counter-import');
        },
      });
      assert.equal(await terminated, true, "the run's session was found and ended");
      assert.equal(killed.code, 75, killed.stderr);
      const result = resultOf(killed);
      assert.equal(result.error?.code, 'PG_CONNECTION');
      assert.match(result.error?.message ?? '', /run again/);

      const kept = (await items(db)).length;
      const { next } = JSON.parse((await checkpoint(db)) ?? '{"next":0}') as { next: number };
      assert.ok(kept % 250 === 0 && kept >= 3000 && kept < 20000, `whole batches only (${kept} rows)`);
      assert.ok(
        next <= kept && next >= kept - 250,
        `the checkpoint (${next}) claims no more than the committed rows (${kept}), and not a batch less`,
      );
      const runs = await db.query<{ status: string; error_code: string }>(
        `SELECT status, error_code FROM _ferry_runs ORDER BY started_at`,
      );
      assert.deepEqual(runs, [{ status: 'failed', error_code: 'PG_CONNECTION' }], 'recorded from a new session');

      const rerun = await runJobFile(JOB, ['--db-url', db.url, ...args]);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(resultOf(rerun).counts.read, 20000 - next, 'the rerun resumes at the checkpoint');
      assert.deepEqual(await items(db), await items(reference));
      assert.equal(await checkpoint(db), await checkpoint(reference));
    });

    const cases: [string, (url: URL) => void, number, string, RegExp][] = [
      ['no server listening', (url) => void (url.port = '1'), 75, 'PG_CONNECTION', /ECONNREFUSED|connect/],
      [
        'a database that does not exist',
        (url) => void (url.pathname = '/ferry_no_such_db'),
        64,
        'PG_DATABASE_MISSING',
        /does not exist: create it/,
      ],
      [
        'a search_path naming no schema',
        (url) => url.searchParams.set('options', '-c search_path=ferry_no_such_schema'),
        64,
        'PG_SCHEMA_MISSING',
        /no schema on the search_path exists/,
      ],
    ];
    for (const [what, change, code, errorCode, message] of cases) {
      it(`${what}: exit ${code} (${errorCode}), and the message says what to do`, async () => {
        const url = new URL(TEST_DATABASE_URL);
        change(url);
        const finished = await runJobFile(JOB, ['--db-url', url.href, '--count', '10']);
        assert.equal(finished.code, code, finished.stderr);
        assert.equal(resultOf(finished).error?.code, errorCode);
        assert.match(resultOf(finished).error?.message ?? '', message);
      });
    }

    it('check on a schema without history: "never ran", and nothing is created', async () => {
      const db = await fresh();
      const finished = await runJobFile(JOB, ['check', '--db-url', db.url]);
      assert.equal(finished.code, 69);
      assert.match(finished.stdout, /never ran/);
      assert.deepEqual(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1`, [db.name]), [
        { n: 0 },
      ]);
    });
  });
