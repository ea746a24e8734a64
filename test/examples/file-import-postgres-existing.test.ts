// PostgreSQL tables that an app's migrations or a DBA made before ferry came: the counts in the
// result line must say what the table really holds.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { resultOf } from '../helpers/protocol.ts';
import { postgresUnavailable, suiteSchemas } from '../stores/postgres/test-database.ts';

async function csv(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-existing-')), 'people.csv');
  await writeFile(file, text);
  return file;
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
  });
