// Server settings that end or refuse the job's session, given in --db-url as a provider or an admin
// sets them on the role, and a table changed by another session under the run: each ends with the
// code that says whether retrying can help, never 1, and a rerun without the fault ends with every row once.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith } from '../helpers/protocol.ts';
import { postgresUnavailable, suiteSchemas } from '../stores/postgres/test-database.ts';

const ROWS = 5000;

/** The schema's URL with `settings` (`name=value`) added to its options, as `-c` flags. */
function withSettings(url: string, ...settings: string[]): string {
  const u = new URL(url);
  u.searchParams.set('options', [u.searchParams.get('options'), ...settings.map((s) => `-c ${s}`)].join(' '));
  return u.href;
}

async function peopleCsv(rows = ROWS): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-settings-')), 'people.csv');
  await writeFile(file, `id,name\n${Array.from({ length: rows }, (_, i) => `${i},name ${i}`).join('\n')}\n`);
  return file;
}

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('file-import into PostgreSQL: session settings that stop it', () => {
    const schema = suiteSchemas();
    const cases: [what: string, setting: string, exit: number, code: string, message: RegExp][] = [
      // The server ends the session (SQLSTATE 25P03): was exit 1, UNEXPECTED, as if a bug in ferry.
      [
        'idle_in_transaction_session_timeout',
        'idle_in_transaction_session_timeout=1',
        75,
        'PG_CONNECTION',
        /idle-in-transaction timeout/,
      ],
      // Still 75 (a load spike passes), but the message said only "canceling statement due to statement timeout".
      [
        'a statement_timeout shorter than a batch takes',
        'statement_timeout=1',
        75,
        'PG_TIMEOUT',
        // PostgreSQL's own words vary ("statement timeout", or "user request" when its timer fires as
        // a statement ends); ferry's advice names the setting and the fix either way.
        /the server's statement_timeout .* lower --batch-size or raise statement_timeout/,
      ],
      // Was 1 (UNEXPECTED) for an unknown setting, 65 PG_DATA (bad data) for a bad value.
      [
        'an unknown setting',
        'no_such_setting=1',
        64,
        'PG_OPTIONS',
        /unrecognized configuration parameter "no_such_setting": fix the options in --db-url/,
      ],
      [
        'a setting with a bad value',
        'statement_timeout=abc',
        64,
        'PG_OPTIONS',
        /invalid value for parameter "statement_timeout": "abc": fix the options in --db-url/,
      ],
      // Was 75 PG_READ_ONLY, retried for ever: only a standby's read-only session passes with a failover.
      [
        'default_transaction_read_only on a server that is no standby',
        'default_transaction_read_only=on',
        64,
        'PG_READ_ONLY',
        /the session is read-only \(default_transaction_read_only is on.*turn it off/,
      ],
    ];
    for (const [what, setting, exit, code, message] of cases) {
      it(`${what}: ${exit} ${code}, the message names it; a rerun without it imports every row once`, async () => {
        const db = await schema();
        // The idle timeout needs the session idle in a transaction for 1 ms: a replace of many
        // reads holds one transaction open while the job reads and parses each, which takes
        // longer; keyed batches of 500 could all commit faster than that (exit 0 in one CI run).
        const idle = setting.startsWith('idle_in_transaction');
        const rows = idle ? 10 * ROWS : ROWS;
        const file = await peopleCsv(rows);
        const args = ['--file', file, ...(idle ? [] : ['--key', 'id']), '--batch-size', '500'];
        failsWith(
          await runExample('file-import', ['--db-url', withSettings(db.url, setting), ...args]),
          exit,
          code,
          message,
        );
        const rerun = await runExample('file-import', ['--db-url', db.url, ...args]);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.deepEqual(await db.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM people'), [
          { n: rows, ids: rows },
        ]);
      });
    }
  });

if ((await postgresUnavailable()) === undefined)
  describe('file-import into PostgreSQL: its table changed by another program', () => {
    const schema = suiteSchemas();
    // 'relation "people" does not exist', 'column "name" of relation "people" does not exist': exit 1, UNEXPECTED.
    const changes: [string, string][] = [
      ['the table dropped', 'DROP TABLE people'],
      ['a column dropped', 'ALTER TABLE people DROP COLUMN name'],
    ];
    for (const [what, sql] of changes)
      it(`${what}: 75 TABLE_CHANGED, never 1; the rerun ends exact`, async () => {
        const db = await schema();
        const file = await peopleCsv(100_000);
        const args = ['--db-url', db.url, '--file', file, '--key', 'id', '--batch-size', '200'];
        let change: Promise<unknown> | undefined;
        const run = await runExample('file-import', args, {
          timeoutMs: 60_000,
          onOutput: (out) => void (out.includes('"type":"schema"') && (change ??= db.query(sql))),
        });
        await change;
        failsWith(run, 75, 'TABLE_CHANGED', /another program dropped or altered the table while the run wrote to it/);
        assert.equal((await runExample('file-import', args, { timeoutMs: 60_000 })).code, 0);
        assert.deepEqual(
          await db.query(
            `SELECT count(*)::int AS n, count(*) FILTER (WHERE name = 'name ' || id)::int AS named FROM people`,
          ),
          [{ n: 100_000, named: 100_000 }],
        );
      });

    // A trigger's RAISE EXCEPTION (P0001) went out as it was: exit 1, UNEXPECTED. SQLite's RAISE(ABORT) was 65 already.
    it('a trigger that refuses the rows: 65 PG_CONSTRAINT with its message; the rerun once it is gone ends exact', async () => {
      const db = await schema();
      const file = await peopleCsv();
      const args = ['--db-url', db.url, '--file', file, '--key', 'id'];
      assert.equal((await runExample('file-import', args)).code, 0);
      // Every row changed behind the job's back, so the next run updates each, and the trigger refuses it.
      await db.query(`UPDATE people SET name = 'old';
        CREATE FUNCTION frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'imports are frozen'; END $$;
        CREATE TRIGGER frozen BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION frozen()`);
      failsWith(
        await runExample('file-import', args),
        65,
        'PG_CONSTRAINT',
        /imports are frozen \(raised in the database, by a trigger/,
      );
      await db.query('DROP TRIGGER frozen ON people');
      assert.equal((await runExample('file-import', args)).code, 0);
      assert.deepEqual(
        await db.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE name = 'name ' || id)::int AS named FROM people`,
        ),
        [{ n: ROWS, named: ROWS }],
      );
    });
  });
