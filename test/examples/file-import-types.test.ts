// Typed columns through the built file-import, on SQLite and on PostgreSQL: what a file's values
// infer, --types and --no-infer, a second file that brings a column and a value that does not fit
// (evolve), and --schema freeze.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SchemaEvent } from 'ferry';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines, resultOf } from '../helpers/protocol.ts';
import type { Finished } from '../helpers/spawn.ts';
import { postgresUnavailable, suiteSchemas, type TestSchema } from '../stores/postgres/test-database.ts';
import { OPENPYXL_PEOPLE, PEOPLE_ROWS, peopleRow } from '../sources/files/xlsx-fixtures.ts';

const ORDERS = [
  'id,amount,paid,day,at,local,zip,big,note',
  '1,12.50,true,2024-02-29,2024-02-29T13:45:30Z,2024-02-29 13:45:30,00501,123456789012345678901234,hello',
  '2,-3,FALSE,1999-12-31,2024-03-01T00:00:00+02:00,2024-03-01T08:00,10001,5,',
  '3,,,,,,,,x',
].join('\n');

/** The same columns, a row more, a new column (qty), and row 2's amount that is no number. */
const MORE = [
  'id,amount,paid,day,at,local,zip,big,note,qty',
  '4,7.25,true,2024-04-01,2024-04-01T10:00:00Z,2024-04-01 10:00:00,00601,1,y,3',
  '5,lots,false,2024-04-02,2024-04-02T10:00:00Z,2024-04-02 10:00:00,00602,2,z,4',
].join('\n');

/** One store as the tests see it: the job's flags, the table's column types, and its rows with their storage. */
interface Target {
  args: string[];
  /** Column name → the database's own type name (PRAGMA table_info / information_schema). */
  types(table: string): Promise<Record<string, string>>;
  /** Each row's file columns as `value:storage` (SQLite's typeof(), PostgreSQL's text of the value). */
  rows(table: string, columns: string[]): Promise<Record<string, unknown>[]>;
}

async function sqliteTarget(dir: string): Promise<Target> {
  const file = path.join(dir, 'typed.db');
  const read = <T>(f: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      return f(db);
    } finally {
      db.close();
    }
  };
  return {
    args: ['--db-path', file],
    types: async (table) =>
      read((db) =>
        Object.fromEntries(
          (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[]).map((c) => [
            c.name,
            c.type,
          ]),
        ),
      ),
    rows: async (table, columns) =>
      read((db) =>
        db
          .prepare(
            `SELECT ${columns.map((c) => `"${c}", typeof("${c}") AS "${c}:"`).join(', ')} FROM "${table}" ORDER BY id`,
          )
          .all()
          .map((r) => Object.fromEntries(columns.map((c) => [c, `${String(r[c])}:${String(r[`${c}:`])}`]))),
      ),
  };
}

function postgresTarget(schema: TestSchema): Target {
  return {
    args: ['--db-url', schema.url],
    types: async (table) =>
      Object.fromEntries(
        (
          await schema.query<{ name: string; type: string }>(
            'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
            [table],
          )
        ).map((c) => [c.name, c.type]),
      ),
    rows: async (table, columns) =>
      (
        await schema.query(
          `SELECT ${columns.map((c) => `${pgText(c)} AS "${c}"`).join(', ')} FROM "${table}" ORDER BY id`,
        )
      ).map((r) => Object.fromEntries(columns.map((c) => [c, `${String(r[c])}:pg`]))),
  };
}

/** A value's text; the timestamptz column's in UTC, whatever the server's time zone. */
const pgText = (c: string) => (c === 'at' ? `("at" AT TIME ZONE 'UTC')::text || '+00'` : `"${c}"::text`);

const schemaEvents = (finished: Finished) =>
  parseEventLines(finished.stdout).filter((e): e is SchemaEvent => e.type === 'schema');

/** What each store is expected to hold: its type names, and each value with how it is stored. */
const EXPECTED = {
  sqlite: {
    types: {
      _ferry_id: 'TEXT',
      id: 'INT',
      amount: 'REAL',
      paid: 'BOOLEAN',
      day: 'DATE TEXT',
      at: 'TIMESTAMPTZ TEXT',
      local: 'TIMESTAMP TEXT',
      zip: 'TEXT',
      big: 'TEXT',
      note: 'TEXT',
    },
    rows: [
      {
        id: '1:integer',
        amount: '12.5:real',
        paid: '1:integer',
        day: '2024-02-29:text',
        at: '2024-02-29T13:45:30Z:text',
        local: '2024-02-29 13:45:30:text',
        zip: '00501:text',
        big: '123456789012345678901234:text',
        note: 'hello:text',
      },
      {
        id: '2:integer',
        amount: '-3:real',
        paid: '0:integer',
        day: '1999-12-31:text',
        at: '2024-03-01T00:00:00+02:00:text',
        local: '2024-03-01T08:00:text',
        zip: '10001:text',
        big: '5:text',
        note: ':text',
      },
      {
        id: '3:integer',
        amount: 'null:null',
        paid: 'null:null',
        day: 'null:null',
        at: 'null:null',
        local: 'null:null',
        zip: ':text',
        big: ':text',
        note: 'x:text',
      },
    ],
  },
  postgres: {
    types: {
      _ferry_id: 'text',
      id: 'bigint',
      amount: 'numeric',
      paid: 'boolean',
      day: 'date',
      at: 'timestamp with time zone',
      local: 'timestamp without time zone',
      zip: 'text',
      big: 'text',
      note: 'text',
    },
    rows: [
      {
        id: '1:pg',
        amount: '12.50:pg', // NUMERIC keeps the digits as written
        paid: 'true:pg',
        day: '2024-02-29:pg',
        at: '2024-02-29 13:45:30+00:pg',
        local: '2024-02-29 13:45:30:pg',
        zip: '00501:pg',
        big: '123456789012345678901234:pg',
        note: 'hello:pg',
      },
      {
        id: '2:pg',
        amount: '-3:pg',
        paid: 'false:pg',
        day: '1999-12-31:pg',
        at: '2024-02-29 22:00:00+00:pg', // +02:00, read back in UTC
        local: '2024-03-01 08:00:00:pg',
        zip: '10001:pg',
        big: '5:pg',
        note: ':pg',
      },
      {
        id: '3:pg',
        amount: 'null:pg',
        paid: 'null:pg',
        day: 'null:pg',
        at: 'null:pg',
        local: 'null:pg',
        zip: ':pg',
        big: ':pg',
        note: 'x:pg',
      },
    ],
  },
};

const FILE_COLUMNS = ['id', 'amount', 'paid', 'day', 'at', 'local', 'zip', 'big', 'note'];
const pgMissing = await postgresUnavailable();

for (const store of ['sqlite', 'postgres'] as const) {
  describe(`file-import: typed columns (${store})`, { skip: store === 'postgres' ? pgMissing : undefined }, () => {
    const fresh = suiteSchemas();

    async function setUp() {
      const dir = await mkdtemp(path.join(tmpdir(), 'ferry-types-'));
      let target: Target;
      if (store === 'sqlite') target = await sqliteTarget(dir);
      else {
        const schema = await fresh();
        target = postgresTarget(schema);
      }
      const file = async (name: string, content: string) => {
        await writeFile(path.join(dir, name), content);
        return path.join(dir, name);
      };
      const run = (csv: string, args: string[] = [], env: Record<string, string> = {}) =>
        runExample('file-import', [...target.args, '--file', csv, '--table', 'orders', ...args], { env });
      return { target, file, run };
    }

    it('integer, decimal, boolean, date, timestamps, leading zeros and a number past 64 bits land in their types; a rerun changes nothing', async () => {
      const { target, file, run } = await setUp();
      const csv = await file('orders.csv', ORDERS);
      const first = await run(csv, ['--key', 'id']);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(await target.types('orders'), EXPECTED[store].types);
      assert.deepEqual(await target.rows('orders', FILE_COLUMNS), EXPECTED[store].rows);
      const [event] = schemaEvents(first);
      assert.deepEqual(
        event && { table: event.table, change: event.change, types: event.columns.map((c) => `${c.name} ${c.type}`) },
        {
          table: 'orders',
          change: 'created',
          types: [
            '_ferry_id text',
            'id integer',
            'amount numeric',
            'paid boolean',
            'day date',
            'at timestamptz',
            'local timestamp',
            'zip text',
            'big text',
            'note text',
          ],
        },
      );

      const again = await run(csv, ['--key', 'id']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(resultOf(again).counts, {
        read: 3,
        inserted: 0,
        updated: 0,
        unchanged: 3,
        deleted: 0,
        rejected: 0,
      });
      assert.deepEqual(schemaEvents(again), [], 'a table already as declared gives no schema line');
    });

    it('--types fixes a column; --no-infer, FILE_IMPORT_TYPES=*=text keep every column text; a type an existing column lacks is 64', async () => {
      const { target, file, run } = await setUp();
      const csv = await file('orders.csv', ORDERS);
      const typed = await run(csv, ['--types', 'id=text,amount=real,day=text', '--table', 'typed']);
      assert.equal(typed.code, 0, typed.stderr);
      const types = await target.types('typed');
      const want =
        store === 'sqlite'
          ? { id: 'TEXT', amount: 'REAL', day: 'TEXT', paid: 'BOOLEAN' }
          : { id: 'text', amount: 'double precision', day: 'text', paid: 'boolean' };
      assert.deepEqual({ id: types.id, amount: types.amount, day: types.day, paid: types.paid }, want);

      for (const [table, args, env] of [
        ['plain', ['--no-infer'], {}],
        ['starred', [], { FILE_IMPORT_TYPES: '*=text' }],
      ] as const) {
        const finished = await run(csv, ['--table', table, ...args], env);
        assert.equal(finished.code, 0, finished.stderr);
        const all = await target.types(table);
        assert.deepEqual(
          FILE_COLUMNS.filter((c) => all[c]?.toLowerCase() !== 'text'),
          [],
          `${table}: every file column text`,
        );
      }

      const changed = await run(csv, ['--types', 'amount=text']);
      assert.equal(changed.code, 0, changed.stderr); // a new table: amount is text
      const clash = await run(csv, ['--types', 'amount=integer']);
      assert.equal(clash.code, 64, clash.stderr);
      assert.match(
        resultOf(clash).error?.message ?? '',
        /^--types amount=integer: table orders has amount as text already, and ferry never changes a column's type/,
      );
      const unknown = await run(csv, ['--types', 'nope=integer', '--table', 'other']);
      assert.equal(unknown.code, 64);
      assert.match(resultOf(unknown).error?.message ?? '', /--types nope=integer: the file has no column nope/);
    });

    it('evolve: a second file adds its new column; a value that does not fit is a reject naming column and place, and with --max-rejects 0 the run fails 65 keeping no row', async () => {
      const { target, file, run } = await setUp();
      assert.equal((await run(await file('orders.csv', ORDERS), ['--key', 'id'])).code, 0);
      const more = await file('more.csv', MORE);

      const failed = await run(more, ['--key', 'id']);
      assert.equal(failed.code, 65, failed.stderr);
      const message = resultOf(failed).error?.message ?? '';
      // SQLite keeps a decimal as a REAL, and reads the column back so.
      assert.match(
        message,
        /more\.csv, row 2, line 3: column amount \(field 2\) is (numeric|real): "lots" does not fit it/,
      );
      assert.deepEqual(
        schemaEvents(failed).map((e) => [e.change, e.columns.map((c) => `${c.name} ${c.type}`)]),
        [['altered', ['qty integer']]],
      );
      assert.deepEqual(
        (await target.rows('orders', ['id'])).map((r) => r.id),
        store === 'sqlite' ? ['1:integer', '2:integer', '3:integer'] : ['1:pg', '2:pg', '3:pg'],
        'the failed run keeps no row',
      );
      // The column it added stays, empty: ferry never drops one.
      assert.equal((await target.types('orders')).qty, store === 'sqlite' ? 'INTEGER' : 'bigint');

      const allowed = await run(more, ['--key', 'id', '--max-rejects', '1']);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(resultOf(allowed).counts.rejected, 1);
      const rows = await target.rows('orders', ['id', 'amount', 'qty']);
      assert.deepEqual(
        rows.slice(3),
        store === 'sqlite'
          ? [{ id: '4:integer', amount: '7.25:real', qty: '3:integer' }]
          : [{ id: '4:pg', amount: '7.25:pg', qty: '3:pg' }],
      );
      const listed = await runExample('file-import', ['rejects', ...target.args]);
      const [reject] = listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.match(String(reject?.reason), /^column amount \(field 2\) is (numeric|real): "lots" does not fit it/);
      assert.deepEqual(reject?.position, { source: more, row: 2, line: 3 });
    });

    it('--schema freeze: a record with a value for a column the table lacks is a reject, and no column is added', async () => {
      const { target, file, run } = await setUp();
      const missing = await run(await file('orders.csv', ORDERS), ['--schema', 'freeze']);
      assert.equal(missing.code, 64);
      assert.match(resultOf(missing).error?.message ?? '', /--schema freeze: table orders does not exist/);

      assert.equal((await run(await file('orders.csv', ORDERS), ['--key', 'id'])).code, 0);
      const extra = await file('extra.csv', 'id,amount,extra\n6,1.5,surprise\n7,2,\n');
      const frozen = await run(extra, ['--key', 'id', '--schema', 'freeze']);
      assert.equal(frozen.code, 65);
      assert.match(
        resultOf(frozen).error?.message ?? '',
        /extra\.csv, row 1, line 2: column extra is not in table orders, and --schema freeze adds none: "surprise" has nowhere to go/,
      );
      const allowed = await run(extra, ['--key', 'id', '--schema', 'freeze', '--max-rejects', '1']);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.deepEqual(schemaEvents(allowed), []);
      assert.equal((await target.types('orders')).extra, undefined, 'no column added');
      const ids = (await target.rows('orders', ['id'])).map((r) => String(r.id).split(':')[0]);
      assert.deepEqual(ids, ['1', '2', '3', '7'], 'the record whose extra field is empty is imported');
    });

    it('a --key column is typed only when each value has one spelling: 1.0 and 1, TRUE and true, a date and its midnight stay apart', async () => {
      const { target, file } = await setUp();
      const run = (csv: string, key: string, table: string) =>
        runExample('file-import', [...target.args, '--file', csv, '--table', table, '--key', key]);
      // As numeric, boolean or timestamp these keys were one row each (PostgreSQL: 1.50 = 1.5, one instant)
      // and the row that was left mixed one record's key with another's values, exit 0.
      const keys = ['1', '1.0', '1.50', '1.5', 'true', 'TRUE', '2024-01-01', '2024-01-01T00:00', '2024-01-01 00:00:00'];
      const groups = [keys.slice(0, 4), keys.slice(4, 6), keys.slice(6)];
      for (const [g, group] of groups.entries()) {
        const csv = await file(
          `keys${g}.csv`,
          ['id,k,day', ...group.map((k, i) => `${i + 1},${k},2024-02-0${i + 1}`)].join('\n'),
        );
        const done = await run(csv, 'k', `keys${g}`);
        assert.equal(done.code, 0, done.stderr);
        assert.deepEqual(resultOf(done).counts, {
          read: group.length,
          inserted: group.length,
          updated: 0,
          unchanged: 0,
          deleted: 0,
          rejected: 0,
        });
        const rows = await target.rows(`keys${g}`, ['k']);
        assert.deepEqual(
          rows.map((r) => String(r.k).replace(/:(text|pg)$/, '')),
          group,
        );
        assert.match(String((await target.types(`keys${g}`)).k), /^(TEXT|text)$/);
      }
      // A key of integers or dates, one spelling each, keeps its type.
      const dated = await run(await file('dated.csv', 'id,k\n1,2024-01-01\n2,2024-01-02'), 'k,id', 'dated');
      assert.equal(dated.code, 0, dated.stderr);
      const types = await target.types('dated');
      assert.deepEqual([types.id, types.k], store === 'sqlite' ? ['INT', 'DATE TEXT'] : ['bigint', 'date']);
    });
  });
}

describe('file-import: typed columns from a workbook (SQLite)', () => {
  it("an openpyxl workbook's numbers, dates, date-times and booleans land typed, every one of its 1,000 rows", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-types-xlsx-'));
    const db = path.join(dir, 'people.db');
    const finished = await runExample('file-import', [
      '--db-path',
      db,
      '--file',
      OPENPYXL_PEOPLE,
      '--table',
      'people',
      '--key',
      'id',
    ]);
    assert.equal(finished.code, 0, finished.stderr);
    const sqlite = new DatabaseSync(db, { readOnly: true });
    try {
      const info = sqlite.prepare('PRAGMA table_info(people)').all() as { name: string; type: string }[];
      assert.deepEqual(Object.fromEntries(info.map((c) => [c.name, c.type])), {
        _ferry_id: 'TEXT',
        id: 'INT',
        name: 'TEXT',
        born: 'DATE TEXT',
        last_seen: 'TIMESTAMP TEXT',
        score: 'REAL',
        active: 'BOOLEAN',
        note: 'TEXT',
        amount: 'INTEGER',
      });
      const rows = sqlite
        .prepare('SELECT id, name, born, last_seen, score, active, note, amount FROM people ORDER BY id')
        .all();
      assert.equal(rows.length, PEOPLE_ROWS);
      // The workbook's own values: numbers as the doubles it stores, booleans as 1 / 0.
      const expected = Array.from({ length: PEOPLE_ROWS }, (_, k) => {
        const row = peopleRow(k + 1);
        return { ...row, active: row.active ? 1 : 0 };
      });
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        expected,
      );
      const kinds = sqlite
        .prepare(
          'SELECT DISTINCT typeof(id), typeof(born), typeof(last_seen), typeof(score), typeof(active), typeof(amount) FROM people',
        )
        .all();
      assert.deepEqual(
        kinds.map((k) => Object.values(k)),
        [['integer', 'text', 'text', 'real', 'integer', 'integer']],
      );
    } finally {
      sqlite.close();
    }
  });
});
