// Files PostgreSQL cannot hold as they are: too wide, a row too big for a page, a key too long, a
// column name the server keeps for itself or refuses. Each is the file's problem, not a passing one
// and not a bug: exit 65, with a message that names the limit and what to change.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { freshSchema, postgresUnavailable, type TestSchema } from '../stores/postgres/test-database.ts';

const columns = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

const cases: { what: string; name: string; content: string; key?: string; code: string; message: RegExp }[] = [
  {
    what: 'a header naming a system column (xmin)',
    name: 'reserved.csv',
    content: 'id,xmin\n1,a\n',
    code: 'COLUMN_NAME_RESERVED',
    message:
      /^table reserved: the column name "xmin" is reserved by PostgreSQL \(a system column, as are xmax, cmin, cmax, ctid, tableoid\); rename the column in the file's header/,
  },
  {
    what: 'a header with a NUL character in a name',
    name: 'nul.csv',
    content: 'id,a\u0000b\n1,a\n',
    code: 'COLUMN_NAME_INVALID',
    message:
      /^table nul: the column name "a\\u0000b" contains a NUL character, which no database takes; rename the column/,
  },
  {
    what: 'records with an empty field name',
    name: 'empty.ndjson',
    content: '{"id":1,"":2}\n',
    code: 'COLUMN_NAME_INVALID',
    message: /^table empty: the column name "" is empty, which no database takes; rename the column/,
  },
  {
    what: '1700 columns',
    name: 'wide.csv',
    content: `${columns(1700).join(',')}\n${columns(1700)
      .map(() => 'x')
      .join(',')}\n`,
    code: 'PG_LIMIT',
    message:
      /tables can have at most 1600 columns: PostgreSQL allows at most 1600 columns in a table .*split the file's columns over several files/,
  },
  {
    what: '1500 short columns, too big together for one page',
    name: 'heavy.csv',
    key: 'c0',
    code: 'PG_LIMIT',
    content: `${columns(1500).join(',')}\n${columns(1500)
      .map((c) => `v-${c}`)
      .join(',')}\n`,
    message:
      /row is too big: size \d+, maximum size \d+.*: a row must fit in one 8 kB page .*split the file's columns over several files/,
  },
  {
    what: 'a key value longer than an index entry can be',
    name: 'longkey.csv',
    key: 'id',
    code: 'PG_LIMIT',
    content: `id,name\n${randomBytes(3000).toString('base64')},a\n`,
    message:
      /index row size \d+ exceeds btree version \d+ maximum 2704 .*a key value in about 2\.7 kB: .*use a shorter key/,
  },
];

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('file-import into PostgreSQL: files beyond its limits', () => {
    const schemas: TestSchema[] = [];
    after(() => Promise.all(schemas.map((s) => s.drop())));

    for (const { what, name, content, key, code, message } of cases) {
      it(`${what}: exit 65 (${code}), the message names the limit or the name and what to change`, async () => {
        const db = await freshSchema();
        schemas.push(db);
        const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-limits-')), name);
        await writeFile(file, content);
        const finished = await runExample('file-import', [
          '--db-url',
          db.url,
          '--file',
          file,
          ...(key ? ['--key', key] : []),
        ]);
        const result = parseEventLines(finished.stdout).at(-1);
        assert.ok(result?.type === 'result');
        assert.deepEqual([finished.code, result.error?.code], [65, code], finished.stderr);
        assert.match(result.error?.message ?? '', message);
        const table = name.split('.')[0] ?? '';
        const rows = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_class WHERE relname = $1 AND relnamespace = $2::regnamespace`,
          [table, db.name],
        );
        if (code.startsWith('COLUMN_NAME')) assert.deepEqual(rows, [{ n: 0 }], 'refused before any table was created');
      });
    }
  });

describe("file-import into PostgreSQL: a schema whose _ferry_runs is another program's", () => {
  it('the run, check and rejects exit 65 (HISTORY_INVALID) naming the table, never 1; the table untouched', async (t) => {
    const missing = await postgresUnavailable();
    if (missing !== undefined) return t.skip(missing);
    const db = await freshSchema();
    try {
      await db.query("CREATE TABLE _ferry_runs (id TEXT, x INTEGER); INSERT INTO _ferry_runs (id) VALUES ('theirs')");
      const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-history-')), 'people.csv');
      await writeFile(file, 'id,name\n1,a\n');
      const message = /_ferry_runs lacks the columns job, /;
      const run = await runExample('file-import', ['--db-url', db.url, '--file', file]);
      const result = parseEventLines(run.stdout).at(-1);
      assert.ok(result?.type === 'result', run.stderr);
      assert.deepEqual([run.code, result.error?.code], [65, 'HISTORY_INVALID'], run.stderr);
      assert.match(result.error?.message ?? '', message);
      await db.query('CREATE TABLE _ferry_rejects (id TEXT)'); // check and rejects read a history with both
      for (const command of ['check', 'rejects']) {
        const finished = await runExample('file-import', [command, '--db-url', db.url]);
        assert.equal(finished.code, 65, `${command}: ${finished.stdout}${finished.stderr}`);
        assert.match(finished.stdout + finished.stderr, message);
        assert.doesNotMatch(finished.stderr, /\n\s+at /, 'no stack trace');
      }
      assert.deepEqual(await db.query('SELECT id, x FROM _ferry_runs'), [{ id: 'theirs', x: null }]);
    } finally {
      await db.drop();
    }
  });
});
