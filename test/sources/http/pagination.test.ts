import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PermanentError, RetryableError } from '../../../src/errors/errors.ts';
import { httpSource, type HttpSourceOptions } from '../../../src/sources/http/index.ts';
import { ids } from './record-ids.ts';
import {
  recordFor,
  startFaultServer,
  type FaultServerOptions,
  type PaginationStyle,
} from '../../helpers/fault-server.ts';

const N = 23;
const ALL = Array.from({ length: N }, (_, i) => i + 1);

async function serve(options: FaultServerOptions) {
  const server = await startFaultServer(options);
  after(() => server.close());
  return server;
}

/** How each style is configured against the fault server, and how many requests it should take. */
const STYLES: [PaginationStyle, Omit<HttpSourceOptions, 'url'>, number][] = [
  ['link', {}, 3],
  ['page', { pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', size: 10 } }, 3],
  ['cursor', { recordsField: 'data', pagination: { type: 'cursor', field: 'meta.next_cursor', param: 'cursor' } }, 3],
  [
    'offset',
    {
      recordsField: 'results',
      totalField: 'count',
      pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 10 },
    },
    3,
  ],
];

describe('every pagination style reads all records once, in order', () => {
  for (const [style, options, requests] of STYLES) {
    it(style, async () => {
      const server = await serve({ records: N, pagination: style });
      assert.deepEqual(await ids({ url: server.url, ...options }), ALL);
      assert.equal(server.requests.length, requests);
    });
  }
});

describe('a collection that fills its last page exactly', () => {
  const cases: [PaginationStyle, number][] = [
    ['link', 2],
    ['page', 3],
    ['cursor', 2],
    ['offset', 3],
  ];
  for (const [style, requests] of cases) {
    it(`${style}: ${requests} requests`, async () => {
      const server = await serve({ records: 20, pagination: style });
      const options = STYLES.find(([s]) => s === style)?.[1] ?? {};
      assert.deepEqual(await ids({ url: server.url, ...options }), ALL.slice(0, 20));
      assert.equal(server.requests.length, requests);
    });
  }
});

it('an empty collection is one request and no records', async () => {
  const server = await serve({ records: 0 });
  const source = httpSource({ url: server.url, totalHeader: 'X-Total-Count' });
  assert.deepEqual(await Array.fromAsync(source.records()), []);
  assert.equal(source.total, 0);
  assert.equal(server.requests.length, 1);
});

it('pages carry number, url and records; total is known after the first page', async () => {
  const server = await serve({ records: N });
  const source = httpSource({ url: `${server.url}?per_page=10`, totalHeader: 'X-Total-Count' });
  assert.equal(source.total, undefined);
  const seen: [number, string, number, number | undefined][] = [];
  for await (const page of source.pages())
    seen.push([page.number, new URL(page.url).search, page.records.length, source.total]);
  assert.deepEqual(seen, [
    [1, '?per_page=10', 10, N],
    [2, '?per_page=10&page=2', 10, N],
    [3, '?per_page=10&page=3', 3, N],
  ]);
});

it('each record knows its page and index; the source URL has no credentials', async () => {
  const server = await serve({ records: N });
  const url = server.url.replace('http://', 'http://reader:pa%20ss@') + '?per_page=10';
  const items = await Array.fromAsync(httpSource({ url }).records());
  const clean = `${server.url}?per_page=10`;
  assert.deepEqual(items[0]?.position, { source: clean, page: 1, index: 0 });
  assert.deepEqual(items[12]?.position, { source: `${server.url}?per_page=10&page=2`, page: 2, index: 2 });
  assert.equal(server.requests[0]?.headers.authorization, `Basic ${Buffer.from('reader:pa ss').toString('base64')}`);
  assert.ok(items.every((item) => !item.position.source.includes('reader')));
});

it('reading records() again starts from the first page', async () => {
  const server = await serve({ records: N });
  const source = httpSource({ url: server.url });
  assert.deepEqual(
    [(await Array.fromAsync(source.records())).length, (await Array.fromAsync(source.records())).length],
    [N, N],
  );
  assert.equal(server.requests.length, 6);
});

it('query params (since) reach every request, Link-followed ones included', async () => {
  const server = await serve({ records: N, pageSize: 5 });
  server.update(3, { updatedAt: '2026-06-01T00:00:00.000Z' });
  const since = new Date(Date.UTC(2026, 0, 1) + 15 * 60_000).toISOString();
  assert.deepEqual(await ids({ url: server.url, query: { since } }), [15, 16, 17, 18, 19, 20, 21, 22, 23, 3]);
  assert.deepEqual(
    server.requests.map((r) => r.query.since),
    [since, since],
  );
});

it('pages that end before the total announced fail, retryable: a lost Link ended the read with rows missing', async () => {
  const page2 = Array.from({ length: 10 }, (_, i) => recordFor(11 + i));
  const server = await serve({
    records: N,
    faults: {
      2: { kind: 'status', status: 200, body: JSON.stringify(page2), headers: { 'x-total-count': String(N) } },
    },
  });
  await assert.rejects(ids({ url: server.url, totalHeader: 'X-Total-Count' }), (error) => {
    assert.ok(error instanceof RetryableError);
    assert.equal(error.code, 'HTTP_RECORDS_MISSING');
    assert.match(
      error.message,
      /\?page=2&per_page=10: the pages ended after 20 records, but the first page announced 23;/,
    );
    return true;
  });
  assert.equal(server.requests.length, 2);
});

it('a server that caps the page size does not end the import early when the total is known', async () => {
  const server = await serve({ records: N, pagination: 'page', maxPageSize: 4 });
  const pagination = { type: 'page', pageParam: 'page', sizeParam: 'per_page', size: 10 } as const;
  assert.deepEqual(await ids({ url: server.url, pagination, totalHeader: 'X-Total-Count' }), ALL);
});

it('a Link header wins over the configured style unless followLink is false', async () => {
  const server = await serve({ records: N });
  const cursor = { type: 'cursor', field: 'next', param: 'cursor' } as const;
  assert.deepEqual(await ids({ url: server.url, pagination: cursor }), ALL);
  assert.deepEqual(await ids({ url: server.url, pagination: { ...cursor, followLink: false } }), ALL.slice(0, 10));
});

describe('bodies of the wrong shape fail with HTTP_BODY_SHAPE and say what to set', () => {
  const cases: [string, Omit<HttpSourceOptions, 'url'>, RegExp][] = [
    ['object without recordsField', {}, /the body is an object, not an array of records; set recordsField .*"data"/],
    ['recordsField naming no array', { recordsField: 'meta' }, /"meta" in the body is an object, not an array/],
    ['recordsField naming nothing', { recordsField: 'items' }, /"items" in the body is missing, not an array .*"data"/],
  ];
  for (const [name, options, message] of cases) {
    it(name, async () => {
      const server = await serve({ pagination: 'cursor' });
      await assert.rejects(ids({ url: server.url, ...options }), (error) => {
        assert.ok(error instanceof PermanentError);
        assert.equal(error.code, 'HTTP_BODY_SHAPE');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

it('a page param the server ignores fails with HTTP_PAGINATION_LOOP instead of reading page 1 forever', async () => {
  const server = await serve({ records: N, pagination: 'page' });
  const pagination = { type: 'page', pageParam: 'p', size: 10 } as const;
  await assert.rejects(ids({ url: server.url, pagination }), { code: 'HTTP_PAGINATION_LOOP' });
  assert.equal(server.requests.length, 2);
});

it('a Link next pointing back at a page already read fails with HTTP_PAGINATION_LOOP', async () => {
  const server = await serve({
    records: N,
    faults: () => ({ kind: 'status', status: 200, body: '[{"id":1}]', headers: { link: '<?page=1>; rel="next"' } }),
  });
  await assert.rejects(ids({ url: `${server.url}?page=1` }), { code: 'HTTP_PAGINATION_LOOP' });
  assert.equal(server.requests.length, 1);
});

it('a Link to another origin is followed without the secret headers, as fetch does on redirects', async () => {
  const other = await serve({ records: 3 });
  const first = await serve({
    faults: () => ({
      kind: 'status',
      status: 200,
      body: '[{"id":0}]',
      headers: { link: `<${other.url}>; rel="next"` },
    }),
  });
  // X-ApiKeyV2 is a credential by its words as written; lowercased (x-apikeyv2) it no longer looked like one.
  const headers = {
    Authorization: 'Bearer sk_first_only',
    'X-Api-Key': 'k_first_only',
    'X-ApiKeyV2': 'k2_first_only',
    'X-Tenant': 'acme',
  };
  assert.deepEqual(await ids({ url: first.url, headers }), [0, 1, 2, 3]);
  const sent = (r: { headers: Record<string, unknown> } | undefined) => [
    r?.headers.authorization,
    r?.headers['x-api-key'],
    r?.headers['x-apikeyv2'],
    r?.headers['x-tenant'],
  ];
  assert.deepEqual(
    [sent(first.requests[0]), sent(other.requests[0])],
    [
      ['Bearer sk_first_only', 'k_first_only', 'k2_first_only', 'acme'],
      [undefined, undefined, undefined, 'acme'],
    ],
  );
});

describe('redirects are followed by ferry, not by fetch', () => {
  const headers = { Authorization: 'Bearer sk_first_only', 'X-Api-Key': 'k_first_only', 'X-Tenant': 'acme' };
  const redirecting = (location: (n: number) => string, status = 302) =>
    serve({ faults: (request) => ({ kind: 'status', status, body: '', headers: { location: location(request.n) } }) });

  it('to another origin: without the secret headers (fetch kept X-Api-Key), its relative Links from there', async () => {
    const other = await serve({ records: N });
    const first = await redirecting(() => other.url);
    assert.deepEqual(await ids({ url: first.url, headers }), ALL);
    const sent = other.requests.map((r) => [r.headers.authorization, r.headers['x-api-key'], r.headers['x-tenant']]);
    assert.deepEqual(
      sent,
      Array.from({ length: 3 }, () => [undefined, undefined, 'acme']),
    );
    assert.equal(first.requests.length, 1, 'page 2 and 3 asked where page 1 came from');
  });

  it('to a URL with credentials: followed without them (fetch refused it, a network error retried)', async () => {
    const other = await serve({ records: 3 });
    const first = await redirecting(() => other.url.replace('http://', 'http://user:pw@'));
    assert.deepEqual(await ids({ url: first.url, maxRetries: 3 }), [1, 2, 3]);
    assert.deepEqual([first.requests.length, other.requests[0]?.headers.authorization], [1, undefined]);
  });

  it('in a loop: a PermanentError at once (fetch failed it as a network error, retried)', async () => {
    const server = await redirecting((n) => `/items?hop=${n % 2}`, 307);
    await assert.rejects(ids({ url: server.url, maxRetries: 3 }), (error) => {
      assert.ok(error instanceof PermanentError);
      assert.equal(error.code, 'HTTP_REDIRECT_LOOP');
      assert.match(error.message, /redirects that go round in circles \(.*\?hop=1 → .*\?hop=0 → .*\?hop=1\)/);
      return true;
    });
    assert.equal(server.requests.length, 3);
  });

  it('past 20 hops: a PermanentError', async () => {
    const server = await redirecting((n) => `/items?hop=${n}`, 301);
    await assert.rejects(ids({ url: server.url }), { code: 'HTTP_REDIRECT_LOOP', message: /more than 20 redirects/ });
    assert.equal(server.requests.length, 21);
  });

  for (const location of ['ftp://127.0.0.1/items', 'file:///etc/passwd', 'data:application/json,[{"id":1}]']) {
    it(`to ${location.split(':')[0]}: a PermanentError, nothing read`, async () => {
      const server = await redirecting(() => location);
      await assert.rejects(ids({ url: server.url, maxRetries: 3 }), {
        code: 'HTTP_BAD_REDIRECT',
        message: /answered 302 Found, a redirect to [a-z]+: \(not HTTP\), which is not followed; check the URL/,
      });
      assert.equal(server.requests.length, 1);
    });
  }

  it('a Link to a URL that is not HTTP: a PermanentError (it was retried as a network error)', async () => {
    const server = await serve({
      faults: () => ({
        kind: 'status',
        status: 200,
        body: '[{"id":1}]',
        headers: { link: '<file:///etc/passwd>; rel="next"' },
      }),
    });
    await assert.rejects(ids({ url: server.url, maxRetries: 3 }), {
      code: 'HTTP_BAD_LINK',
      message: /its Link header's next page is a file: URL, not HTTP, which is not followed/,
    });
    assert.equal(server.requests.length, 1);
  });
});

/** A server whose page i (from 0, `?i=`) holds `page(i)`, with a Link to page i + 1 while `page(i + 1)` is defined. */
async function scripted(page: (i: number) => unknown[] | undefined) {
  return serve({
    faults: (request) => {
      const i = Number(request.query.i ?? 0);
      const link = page(i + 1) === undefined ? {} : { link: `<?i=${i + 1}>; rel="next"` };
      return { kind: 'status', status: 200, body: JSON.stringify(page(i) ?? []), headers: link };
    },
  });
}

describe(
  'empty pages that keep pointing to a next one fail with HTTP_EMPTY_PAGES instead of running forever',
  { timeout: 10_000 },
  () => {
    it('Link: the default maxEmptyPages follows 10 empty pages, and the 11th fails', async () => {
      const server = await scripted(() => []);
      await assert.rejects(ids({ url: server.url }), (error) => {
        assert.ok(error instanceof PermanentError);
        assert.equal(error.code, 'HTTP_EMPTY_PAGES');
        assert.equal(
          error.message,
          `GET ${server.url}?i=10: 11 pages in a row had no records, yet each pointed to a next page, so the import would never end; ` +
            'check the pagination option (type "link") and recordsField, or raise maxEmptyPages if the API really sends that many',
        );
        return true;
      });
      assert.equal(server.requests.length, 11);
    });

    it('a cursor in the body, maxEmptyPages: 3', async () => {
      const server = await serve({
        faults: (r) => ({
          kind: 'status',
          status: 200,
          body: JSON.stringify({ data: [], next: Number(r.query.c ?? 0) + 1 }),
        }),
      });
      const pagination = { type: 'cursor', field: 'next', param: 'c' } as const;
      await assert.rejects(ids({ url: server.url, pagination, recordsField: 'data', maxEmptyPages: 3 }), {
        code: 'HTTP_EMPTY_PAGES',
      });
      assert.equal(server.requests.length, 4);
    });
  },
);

it('empty pages among full ones, never more in a row than maxEmptyPages, lose no record', async () => {
  const pages = [[], [], [{ id: 1 }, { id: 2 }], [], [], [{ id: 3 }], [], []];
  const server = await scripted((i) => pages[i]);
  assert.deepEqual(await ids({ url: server.url, maxEmptyPages: 2 }), [1, 2, 3]);
  assert.equal(server.requests.length, pages.length);
});

describe('keyset: page numbers counted from the last value read', () => {
  const keyset = {
    type: 'page',
    pageParam: 'page',
    sizeParam: 'per_page',
    size: 10,
    keyset: { field: 'updatedAt', param: 'since' },
  } as const;
  const later = (n: number) => new Date(Date.UTC(2027, 0, 1) + n * 1000).toISOString();

  it('records that move to the end while the source reads shift none past it: each read once, the moved ones again', async () => {
    const server = await serve({ records: N, pagination: 'page' });
    // While pages 2 and 3 are asked for, a record of page 1 changes and moves to the end.
    server.faults = (request) => {
      if (request.n === 2 || request.n === 3) server.update(request.n, { name: 'moved', updatedAt: later(request.n) });
      return undefined;
    };
    assert.deepEqual(await ids({ url: server.url, pagination: keyset }), [...ALL, 2, 3]);
    const asked = server.requests.map((r) => `${r.query.since ?? '-'} ${r.query.page}`);
    assert.deepEqual(asked, ['- 1', `${recordFor(10).updatedAt} 1`, `${recordFor(19).updatedAt} 1`]);
  });

  it('a value shared by whole pages goes on by page number, each record once; Link headers are not followed', async () => {
    const server = await serve({ records: 25, pagination: 'link' });
    for (let id = 1; id <= 25; id++) server.update(id, { updatedAt: later(0) });
    assert.deepEqual(
      await ids({ url: server.url, pagination: keyset }),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      server.requests.map((r) => `${r.query.since ?? '-'} ${r.query.page}`),
      ['- 1', `${later(0)} 1`, `${later(0)} 2`, `${later(0)} 3`],
    );
  });

  it('the next request travels while the job holds a page', { timeout: 5_000 }, async () => {
    const second = Promise.withResolvers<undefined>();
    const server = await serve({
      records: N,
      pagination: 'page',
      faults: (request) => void (request.n === 2 && second.resolve(undefined)), // no fault: notes the second request
    });
    const pages = httpSource({ url: server.url, pagination: keyset }).pages()[Symbol.asyncIterator]();
    assert.equal((await pages.next()).value?.records.length, 10);
    await second.promise; // while the job still holds page 1
    assert.deepEqual(
      server.requests.map((r) => r.query.since),
      [undefined, recordFor(10).updatedAt],
    );
    await pages.return?.(undefined);
  });

  it('a page out of order fails with HTTP_KEYSET_ORDER instead of skipping records', async () => {
    const body = JSON.stringify([
      { id: 1, updatedAt: '2026-02-01' },
      { id: 2, updatedAt: '2026-01-01' },
    ]);
    const server = await serve({ faults: () => ({ kind: 'status', status: 200, body }) });
    await assert.rejects(ids({ url: server.url, pagination: keyset }), (error) => {
      assert.ok(error instanceof PermanentError);
      assert.equal(error.code, 'HTTP_KEYSET_ORDER');
      assert.equal(
        error.message,
        `GET ${server.url}?page=1&per_page=10: record 1 has updatedAt 2026-01-01, below the 2026-02-01 before it; ` +
          'reading by keyset needs the records sorted by "updatedAt", ascending: ask the API for that order (a sort parameter in the URL)',
      );
      return true;
    });
  });
});

it('Links that wrap round to the first page fail with HTTP_PAGINATION_LOOP (each page unlike the one before: it read forever)', async () => {
  const server = await scripted((i) => [{ id: (i % 3) + 1 }]);
  await assert.rejects(ids({ url: server.url }), {
    code: 'HTTP_PAGINATION_LOOP',
    message: new RegExp(
      `\\?i=3: the page has the same records as ${server.url}, so the pagination goes round in circles`,
    ),
  });
  assert.equal(server.requests.length, 4);
});
