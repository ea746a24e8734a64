// PostgreSQL tables that an app's migrations or a DBA made before ferry came: the counts in the
// result line must say what the table really holds.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf } from '../helpers/protocol.ts';
import { postgresUnavailable, suiteSchemas, type TestSchema } from '../stores/postgres/test-database.ts';

async function csv(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-existing-')), 'people.csv');
  await writeFile(file, text);
  return file;
}

/**
 * A role that logs in (trust, as the test server has) with a name of its own, dropped after the
 * test; undefined, the test skipped, where roles cannot be made.
 */
/** A login role of the test's own, and the schema's URL as that role; undefined (the test skipped) where none can be made. */
async function loginRole(
  db: TestSchema,
  t: TestContext,
  what: string,
): Promise<{ role: string; url: string } | undefined> {
  const role = `ferry_${what}_${process.pid}`;
  try {
    await db.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN`);
  } catch (error) {
    t.skip(`cannot create a role here: ${(error as Error).message}`);
    return undefined;
  }
  t.after(() => db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
  const url = new URL(db.url);
  url.username = role;
  return { role, url: url.href };
}

if ((await postgresUnavailable()) === undefined)
  describe('file-import into a PostgreSQL table it did not make', () => {
    const schema = suiteSchemas();

    // An empty table is filled by COPY, and every row sent was counted inserted: read 3, inserted 3,
    // the table holding 2. Now the rows COPY says it wrote are the inserted ones.
    it('a BEFORE INSERT trigger that returns NULL for some rows: inserted counts only the rows the table holds', async () => {
      const db = await schema();
      await db.query(`CREATE TABLE people (id text PRIMARY KEY, name text);
        CREATE FUNCTION no_bots() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF new.name = 'bot' THEN RETURN NULL; END IF; RETURN new; END $$;
        CREATE TRIGGER no_bots BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION no_bots()`);
      const file = await csv('id,name\n1,ann\n2,bot\n3,cy\n');
      const args = ['--db-url', db.url, '--file', file, '--table', 'people', '--key', 'id'];
      const first = resultOf(await runExample('file-import', args));
      assert.deepEqual(first.counts, { read: 3, inserted: 2, updated: 0, unchanged: 1, deleted: 0, rejected: 0 });
      assert.deepEqual(await db.query('SELECT id FROM people ORDER BY id'), [{ id: '1' }, { id: '3' }]);
      const again = resultOf(await runExample('file-import', args));
      assert.deepEqual(again.counts, { read: 3, inserted: 0, updated: 0, unchanged: 3, deleted: 0, rejected: 0 });
    });

    // The server rounds these on the way in without an error: exit 0 with 1.23 stored for 1.234.
    const rounding: [type: string, fits: string, rounded: string, kept: string][] = [
      ['numeric(5,2)', '12.50', '1.234', '1.23'],
      ['real', '0.1', '3.14159265', '3.1415927'],
    ];
    for (const [type, fits, rounded, kept] of rounding)
      it(`a ${type} column: a value it would round fails 65 naming it, and nothing is written; one it keeps is written`, async () => {
        const db = await schema();
        await db.query(`CREATE TABLE people (id text PRIMARY KEY, amount ${type})`);
        const file = await csv(`id,amount\n1,${fits}\n2,${rounded}\n`);
        const args = ['--db-url', db.url, '--file', file, '--table', 'people', '--key', 'id'];
        failsWith(
          await runExample('file-import', args),
          65,
          'PG_DATA',
          new RegExp(
            `column amount is ${type.replace(/[()]/g, '\\$&')}, which would store ${rounded} as ${kept}; ferry never rounds a value`,
          ),
        );
        assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM people'), [{ n: 0 }]);
        await writeFile(file, `id,amount\n1,${fits}\n`);
        assert.equal(resultOf(await runExample('file-import', args)).exitCode, 0);
        assert.deepEqual(await db.query('SELECT amount::text FROM people'), [{ amount: fits }]);
        const again = resultOf(await runExample('file-import', args));
        assert.deepEqual(again.counts, { read: 1, inserted: 0, updated: 0, unchanged: 1, deleted: 0, rejected: 0 });
      });

    // A superuser bypasses row-level security, so these import as a role of their own, owner of the table.
    it('a table under row-level security: imported with a policy that allows it (was 1: COPY FROM not supported), 65 saying what to do without one', async (t) => {
      const db = await schema();
      const login = await loginRole(db, t, 'rls');
      if (login === undefined) return;
      const { role, url } = login;
      await db.query(`GRANT USAGE, CREATE ON SCHEMA ${db.name} TO ${role};
        CREATE TABLE people (id text PRIMARY KEY, name text, _ferry_id text);
        ALTER TABLE people OWNER TO ${role}; ALTER TABLE people ENABLE ROW LEVEL SECURITY; ALTER TABLE people FORCE ROW LEVEL SECURITY`);
      const file = await csv('id,name\n1,ann\n2,bob\n');
      const args = ['--db-url', url, '--file', file, '--table', 'people', '--key', 'id'];
      failsWith(
        await runExample('file-import', args),
        65,
        'PG_PRIVILEGE',
        /row-level security .* add a policy that does \(CREATE POLICY/,
      );
      await db.query(`CREATE POLICY everyone ON people FOR ALL TO ${role} USING (true) WITH CHECK (true)`);
      const first = resultOf(await runExample('file-import', args));
      assert.deepEqual(first.counts, { read: 2, inserted: 2, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
      assert.deepEqual(await db.query('SELECT id, name FROM people ORDER BY id'), [
        { id: '1', name: 'ann' },
        { id: '2', name: 'bob' },
      ]);
    });

    // ferry writes in the first schema of the search_path; the app's table further along was passed
    // over, a second one made in front of it, exit 0 with every row where nobody looked.
    it('the table in a schema further along the search_path: 64 naming both schemas and the URL that picks one', async () => {
      const [mine, apps] = [await schema(), await schema()];
      await apps.query('CREATE TABLE people (id text PRIMARY KEY, name text)');
      const url = new URL(mine.url);
      url.searchParams.set('options', `-c search_path=${mine.name},${apps.name}`);
      const file = await csv('id,name\n1,ann\n');
      const args = ['--db-url', url.href, '--file', file, '--table', 'people', '--key', 'id'];
      failsWith(
        await runExample('file-import', args),
        64,
        'PG_TABLE_ELSEWHERE',
        new RegExp(`table people is not in schema ${mine.name}, .* but in ${apps.name}, .*search_path%3D${apps.name}`),
      );
      assert.deepEqual(await mine.query(`SELECT to_regclass('people')::text AS t`), [{ t: null }]);
      url.searchParams.set('options', `-c search_path=${apps.name}`);
      assert.equal(resultOf(await runExample('file-import', [...args.slice(2), '--db-url', url.href])).exitCode, 0);
      assert.deepEqual(await apps.query('SELECT id, name FROM people'), [{ id: '1', name: 'ann' }]);
    });

    // The advice was "the user needs CREATE on the schema and INSERT, UPDATE, DELETE on its tables":
    // all of which the role had.
    it('a table owned by another role, which ferry must add _ferry_id to: 65 saying only its owner can, and a run once the owner did ends exact', async (t) => {
      const db = await schema();
      const login = await loginRole(db, t, 'notowner');
      if (login === undefined) return;
      const { role, url } = login;
      await db.query(`GRANT USAGE, CREATE ON SCHEMA ${db.name} TO ${role};
        CREATE TABLE people (id text PRIMARY KEY, name text);
        GRANT SELECT, INSERT, UPDATE, DELETE ON people TO ${role}`);
      const file = await csv('id,name\n1,ann\n');
      const args = ['--db-url', url, '--file', file, '--table', 'people', '--key', 'id'];
      failsWith(
        await runExample('file-import', args),
        65,
        'PG_PRIVILEGE',
        /must be owner of table people: ferry adds the columns the job writes that the table lacks, and only its owner may/,
      );
      await db.query('ALTER TABLE people ADD COLUMN _ferry_id text');
      assert.equal(resultOf(await runExample('file-import', args)).exitCode, 0);
      assert.deepEqual(await db.query('SELECT id, name FROM people'), [{ id: '1', name: 'ann' }]);
    });

    // The undo put the old rows back with r.*, the generated column too: "cannot insert a non-DEFAULT
    // value", exit 1, the run's rows kept. A file bringing such a column, or an identity key GENERATED
    // ALWAYS, failed 1 as well (the first run into an empty table COPYed it in, the next failed).
    it('a table with a generated column: a failed guard takes the run back; writing a GENERATED ALWAYS column fails 65', async () => {
      const db = await schema();
      await db.query(`CREATE TABLE people (id text PRIMARY KEY, name text, up text GENERATED ALWAYS AS (upper(name)) STORED,
          seq bigint GENERATED ALWAYS AS IDENTITY);
        INSERT INTO people (id, name) VALUES ('5', 'old')`);
      const before = await db.query('SELECT id, name, up, seq::int FROM people ORDER BY id');
      const file = await csv('id,name\n5,new\n3,b\n');
      const args = ['--db-url', db.url, '--file', file, '--table', 'people', '--key', 'id'];
      failsWith(
        await runExample('file-import', [...args, '--min-records', '10']),
        65,
        'TOO_FEW_RECORDS',
        /nothing of this run is kept/,
      );
      assert.deepEqual(await db.query('SELECT id, name, up, seq::int FROM people ORDER BY id'), before);
      await writeFile(file, 'id,name,up\n5,new,NEW\n');
      failsWith(await runExample('file-import', args), 65, 'COLUMN_GENERATED', /column up is GENERATED ALWAYS/);
      await db.query('CREATE TABLE numbered (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)');
      const keyed = ['--db-url', db.url, '--file', file, '--table', 'numbered', '--key', 'id'];
      await writeFile(file, 'id,name\n1,ann\n');
      failsWith(
        await runExample('file-import', keyed),
        65,
        'COLUMN_GENERATED',
        /column id is GENERATED ALWAYS .* SET GENERATED BY DEFAULT/,
      );
    });

    // CREATE TABLE People (no quotes) makes people; --table People made a second table "People", exit 0.
    it('a --table whose name differs only by case from the table there: 64 naming the one to use', async () => {
      const db = await schema();
      await db.query('CREATE TABLE People (id text PRIMARY KEY, name text)');
      const file = await csv('id,name\n1,ann\n');
      const args = ['--db-url', db.url, '--file', file, '--key', 'id'];
      failsWith(
        await runExample('file-import', [...args, '--table', 'People']),
        64,
        'PG_TABLE_ELSEWHERE',
        /table People is not in schema .*, but people is, a name that differs only by case .* --table people/,
      );
      assert.deepEqual(await db.query(`SELECT to_regclass('"People"')::text AS t`), [{ t: null }]);
      assert.equal(resultOf(await runExample('file-import', [...args, '--table', 'people'])).exitCode, 0);
      assert.deepEqual(await db.query('SELECT id, name FROM people'), [{ id: '1', name: 'ann' }]);
    });
  });
