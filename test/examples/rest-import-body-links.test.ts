// rest-import against APIs that page by what the body says, not by Link headers: a first page
// imported alone with exit 0 was the silent loss; now every record, or 65 naming the field.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf } from '../helpers/protocol.ts';
import { tableRows } from './sqlite-rows.ts';

const N = 25;

/** 25 records at /items, 10 a page from ?cursor= (an offset the server hands out), in the body `shape` makes. */
async function api(shape: (data: { id: number }[], next: number | undefined, origin: string) => unknown) {
  const server = createServer((request, response) => {
    const from = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('cursor') ?? 0);
    const data = Array.from({ length: Math.max(0, Math.min(10, N - from)) }, (_, i) => ({ id: from + i + 1 }));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(shape(data, from + 10 < N ? from + 10 : undefined, origin)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const database = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-body-links-')), 'rest.db');
const ids = (db: string) => tableRows(db, 'items', 'CAST(id AS INTEGER)').map((r) => Number(r.id));
const ALL = Array.from({ length: N }, (_, i) => i + 1);

it('Django REST framework cursor pages (next in the body, no Link): every record, with no option but --records-field', async () => {
  await using server = await api((results, next, origin) => ({
    next: next === undefined ? null : `${origin}/items?cursor=${next}`,
    previous: null,
    results,
  }));
  const db = await database();
  const finished = await runExample('rest-import', [
    '--api-url',
    server.url,
    '--records-field',
    'results',
    '--db-path',
    db,
  ]);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual([resultOf(finished).counts.read, ids(db)], [N, ALL]);
});

it('a token in the body (Slack) with --next-field and --next-param: every record', async () => {
  await using server = await api((data, next) => ({ data, response_metadata: { next_cursor: next ?? '' } }));
  const db = await database();
  const args = ['--records-field', 'data', '--next-field', 'response_metadata.next_cursor', '--next-param', 'cursor'];
  const finished = await runExample('rest-import', ['--api-url', server.url, ...args, '--db-path', db]);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(ids(db), ALL);
});

it('has_more with nothing that says how to ask for the rest (Stripe): 65 HTTP_MORE_PAGES, no row written', async () => {
  await using server = await api((data, next) => ({ object: 'list', data, has_more: next !== undefined }));
  const db = await database();
  const finished = await runExample('rest-import', [
    '--api-url',
    server.url,
    '--records-field',
    'data',
    '--db-path',
    db,
  ]);
  failsWith(finished, 65, 'HTTP_MORE_PAGES', /yet the body says more pages follow \(has_more: true\)/);
  assert.deepEqual(ids(db), []);
});

it('--next-param without --next-field is a usage error: 64', async () => {
  await using server = await api((data) => data);
  const finished = await runExample('rest-import', [
    '--api-url',
    server.url,
    '--next-param',
    'cursor',
    '--db-path',
    await database(),
  ]);
  failsWith(finished, 64, 'CONFIG_INVALID', /--next-param cursor needs --next-field/);
});
