// rest-import --columns auto: each top-level field as a typed column beside id and data, typed by
// the page it first has a value in; a later value that does not fit is a reject.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SchemaEvent } from 'ferry';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines, resultOf } from '../helpers/protocol.ts';
import { postgresUnavailable, suiteSchemas } from '../stores/postgres/test-database.ts';

const PAGES: Record<string, unknown>[][] = [
  [
    {
      id: 1,
      name: 'Ada',
      price: 12.5,
      qty: 3,
      active: true,
      since: '2024-02-29',
      zip: '00501',
      meta: { a: 1 },
      gone: null,
    },
    { id: 2, name: 'Bo', price: 7, qty: 1, active: false, since: '2024-03-01', zip: '10001', meta: null, gone: null },
  ],
  [
    { id: 3, name: 'Cy', price: 'n/a', qty: 2, active: true, since: '2024-03-02', zip: '10002', extra: 1.5 },
    { id: 4, name: 'Di', price: 1.25, qty: 5, active: false, since: '2024-03-03', zip: '10003', extra: 2 },
  ],
];

/** A collection of pages (default two), linked by a Link header. */
async function startApi(pages: unknown[][] = PAGES) {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const page = Number(url.searchParams.get('page') ?? '1');
    const next = page < pages.length ? { link: `<${base}/items?page=${page + 1}>; rel="next"` } : {};
    response.writeHead(200, { 'content-type': 'application/json', ...next });
    response.end(JSON.stringify(pages[page - 1] ?? []));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/items`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const pgMissing = await postgresUnavailable();

const schemaEvents = (stdout: string) => parseEventLines(stdout).filter((e): e is SchemaEvent => e.type === 'schema');

describe('rest-import --columns auto', () => {
  const fresh = suiteSchemas();

  it('SQLite: fields land as typed columns beside id and data; a field new on page 2 is added; a misfit is a reject', async () => {
    const api = await startApi();
    try {
      const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-columns-')), 'rest.db');
      const run = (args: string[]) =>
        runExample('rest-import', ['--api-url', api.url, '--db-path', db, '--columns', 'auto', ...args]);
      const failed = await run([]);
      assert.equal(failed.code, 65, failed.stderr);
      assert.match(
        resultOf(failed).error?.message ?? '',
        /page 2, record 1: column price is (numeric|real): "n\/a" does not fit it/,
      );

      const finished = await run(['--max-rejects', '1']);
      assert.equal(finished.code, 0, finished.stderr);
      const sqlite = new DatabaseSync(db, { readOnly: true });
      try {
        const types = Object.fromEntries(
          (sqlite.prepare('PRAGMA table_info(items)').all() as { name: string; type: string }[]).map((c) => [
            c.name,
            c.type,
          ]),
        );
        assert.deepEqual(types, {
          id: 'TEXT',
          data: 'TEXT',
          name: 'TEXT',
          price: 'REAL',
          qty: 'INTEGER',
          active: 'BOOLEAN',
          since: 'DATE TEXT',
          zip: 'TEXT',
          meta: 'TEXT',
          extra: 'REAL',
        });
        const rows = sqlite
          .prepare(
            'SELECT id, price, typeof(price) AS p, qty, typeof(qty) AS q, active, since, zip, meta, extra FROM items ORDER BY id',
          )
          .all()
          .map((r) => ({ ...r }));
        assert.deepEqual(rows, [
          {
            id: '1',
            price: 12.5,
            p: 'real',
            qty: 3,
            q: 'integer',
            active: 1,
            since: '2024-02-29',
            zip: '00501',
            meta: '{"a":1}',
            extra: null,
          },
          {
            id: '2',
            price: 7,
            p: 'real',
            qty: 1,
            q: 'integer',
            active: 0,
            since: '2024-03-01',
            zip: '10001',
            meta: null,
            extra: null,
          },
          {
            id: '4',
            price: 1.25,
            p: 'real',
            qty: 5,
            q: 'integer',
            active: 0,
            since: '2024-03-03',
            zip: '10003',
            meta: null,
            extra: 2,
          },
        ]);
        const data = sqlite.prepare("SELECT data FROM items WHERE id = '1'").get() as { data: string };
        assert.equal(data.data, JSON.stringify(PAGES[0]?.[0]), 'data keeps the record as the API sent it');
      } finally {
        sqlite.close();
      }
      // The first (failed) run created the table before any page, grew it by page 1's fields, then by
      // page 2's new one (gone, null throughout, got none); this run changed nothing of the schema.
      assert.deepEqual(
        schemaEvents(failed.stdout).map((e) => [e.change, e.columns.map((c) => c.name).join(',')]),
        [
          ['created', 'id,data'],
          ['altered', 'name,price,qty,active,since,zip,meta'],
          ['altered', 'extra'],
        ],
      );
      assert.deepEqual(schemaEvents(finished.stdout), []);

      const replay = await runExample('rest-import', [
        'rejects',
        '--replay',
        '--api-url',
        api.url,
        '--db-path',
        db,
        '--columns',
        'auto',
      ]);
      assert.equal(replay.code, 64, replay.stderr);
      assert.match(
        resultOf(replay).error?.message ?? '',
        /--columns auto types the records as pages are read, and rejects --replay reads none/,
      );
    } finally {
      await api.close();
    }
  });

  it('fields named constructor, toString, __proto__ get columns of their own; a record without them stores NULL', async () => {
    // JSON.parse keeps "__proto__" as a field; a plain object answers .constructor and .toString
    // for a record that has no such field.
    const body = '[{"id":1,"__proto__":"p","constructor":2,"toString":true},{"id":2,"name":"b"}]';
    const api = await startApi([JSON.parse(body) as unknown[]]);
    try {
      const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-columns-')), 'rest.db');
      const run = () => runExample('rest-import', ['--api-url', api.url, '--db-path', db, '--columns', 'auto']);
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      const sqlite = new DatabaseSync(db, { readOnly: true });
      try {
        const rows = sqlite
          .prepare('SELECT id, "__proto__" AS proto, "constructor" AS c, "toString" AS t, name FROM items ORDER BY id')
          .all()
          .map((r) => ({ ...r }));
        assert.deepEqual(rows, [
          { id: '1', proto: 'p', c: 2, t: 1, name: null },
          { id: '2', proto: null, c: null, t: null, name: 'b' },
        ]);
      } finally {
        sqlite.close();
      }
      const again = resultOf(await run());
      assert.deepEqual([again.counts.unchanged, again.counts.updated], [2, 0]);
    } finally {
      await api.close();
    }
  });

  it('PostgreSQL: the same fields as bigint, numeric, boolean, date and text', { skip: pgMissing }, async () => {
    const api = await startApi();
    try {
      const schema = await fresh();
      const finished = await runExample('rest-import', [
        '--api-url',
        api.url,
        '--db-url',
        schema.url,
        '--columns',
        'auto',
        '--max-rejects',
        '1',
      ]);
      assert.equal(finished.code, 0, finished.stderr);
      const columns = await schema.query<{ name: string; type: string }>(
        "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'items' ORDER BY ordinal_position",
      );
      assert.deepEqual(Object.fromEntries(columns.map((c) => [c.name, c.type])), {
        id: 'text',
        data: 'text',
        name: 'text',
        price: 'numeric',
        qty: 'bigint',
        active: 'boolean',
        since: 'date',
        zip: 'text',
        meta: 'text',
        extra: 'numeric',
      });
      assert.deepEqual(
        await schema.query('SELECT id, price::text, qty::text, active, since::text FROM items ORDER BY id'),
        [
          { id: '1', price: '12.5', qty: '3', active: true, since: '2024-02-29' },
          { id: '2', price: '7', qty: '1', active: false, since: '2024-03-01' },
          { id: '4', price: '1.25', qty: '5', active: false, since: '2024-03-03' },
        ],
      );
    } finally {
      await api.close();
    }
  });
});
