// APIs that send no Link header but say in the body where the next page is, or that more follow:
// each is read whole, or fails naming the field; never a first page alone and a success.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { isFerryError } from '../../../src/errors/errors.ts';
import type { HttpSourceOptions } from '../../../src/sources/http/index.ts';
import { ids } from './record-ids.ts';

const N = 25;
const SIZE = 10;

/** A page's body, given the records on it, where it starts, and the server's own address. */
type Shape = (records: { id: number }[], from: number, origin: string, size: number) => unknown;

/**
 * A real server of N records at /items, pages of at most `cap` records whatever is asked for,
 * addressed by ?from= (a next URL carries it) or ?page= (page numbers), shaped by `shape`.
 */
async function serve(shape: Shape, cap = SIZE) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    requests.push(url.search);
    const page = url.searchParams.get('page');
    const from = page === null ? Number(url.searchParams.get('from') ?? 0) : (Number(page) - 1) * cap;
    const records = Array.from({ length: Math.max(0, Math.min(cap, N - from)) }, (_, i) => ({ id: from + i + 1 }));
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(shape(records, from, `http://127.0.0.1:${port()}`, cap)));
  });
  const port = () => (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port()}/items`, requests };
}

const nextFrom = (from: number, size: number) => (from + size < N ? from + size : undefined);

const ALL = Array.from({ length: N }, (_, i) => i + 1);

describe('without a Link header, the next URL where the body has it is followed (default pagination)', () => {
  const shapes: [string, string, Shape][] = [
    [
      'Django REST framework: next, absolute',
      'results',
      (results, from, origin, size) => {
        const next = nextFrom(from, size);
        return { count: N, next: next === undefined ? null : `${origin}/items?from=${next}`, previous: null, results };
      },
    ],
    [
      'JSON:API: links.next, relative to the server',
      'data',
      (data, from, _origin, size) => {
        const next = nextFrom(from, size);
        return { data, links: next === undefined ? { self: '/items' } : { next: `/items?from=${next}` } };
      },
    ],
    [
      'HAL: _links.next.href',
      '_embedded.items',
      (items, from, origin, size) => {
        const next = nextFrom(from, size);
        return {
          _embedded: { items },
          _links: next === undefined ? {} : { next: { href: `${origin}/items?from=${next}` } },
        };
      },
    ],
    [
      'OData: @odata.nextLink, a key with a dot in it',
      'value',
      (value, from, origin, size) => {
        const next = nextFrom(from, size);
        return next === undefined ? { value } : { value, '@odata.nextLink': `${origin}/items?from=${next}` };
      },
    ],
    [
      'HubSpot: paging.next.link beside its after token',
      'results',
      (results, from, origin, size) => {
        const next = nextFrom(from, size);
        return next === undefined
          ? { results }
          : { results, paging: { next: { after: String(next), link: `${origin}/items?from=${next}` } } };
      },
    ],
    [
      'Zendesk: next_page, null on the last',
      'tickets',
      (tickets, from, origin, size) => {
        const next = nextFrom(from, size);
        return { tickets, next_page: next === undefined ? null : `${origin}/items?from=${next}`, count: N };
      },
    ],
    [
      'Salesforce: nextRecordsUrl, relative, done',
      'records',
      (records, from, _origin, size) => {
        const next = nextFrom(from, size);
        return {
          totalSize: N,
          done: next === undefined,
          records,
          ...(next ? { nextRecordsUrl: `?from=${next}` } : {}),
        };
      },
    ],
  ];
  for (const [name, recordsField, shape] of shapes) {
    it(name, async () => {
      const server = await serve(shape);
      assert.deepEqual(await ids({ url: server.url, recordsField }), ALL);
      assert.equal(server.requests.length, 3);
    });
  }
});

it('pagination type "next" reads the URL at the field given, and fails naming it when it holds a token', async () => {
  const server = await serve((data, from, origin, size) => {
    const next = nextFrom(from, size);
    return { data, paging: { forward: next === undefined ? '' : `${origin}/items?from=${next}` } };
  });
  const options: HttpSourceOptions = {
    url: server.url,
    recordsField: 'data',
    pagination: { type: 'next', field: 'paging.forward' },
  };
  assert.deepEqual(await ids(options), ALL);
  const tokens = await serve((data, from, _origin, size) => ({
    data,
    paging: { forward: `tok${nextFrom(from, size)}` },
  }));
  await assert.rejects(ids({ ...options, url: tokens.url }), (error: Error) => {
    assert.ok(isFerryError(error) && error.code === 'HTTP_BAD_LINK');
    assert.match(error.message, /the body's paging\.forward is "tok10", not a URL; .*type "cursor"/);
    return true;
  });
});

describe('a body that says more pages follow, in a form nothing told ferry to read, fails HTTP_MORE_PAGES', () => {
  const signs: [string, Shape][] = [
    [
      'Stripe: has_more',
      (data, from, _o, size) => ({ object: 'list', data, has_more: nextFrom(from, size) !== undefined }),
    ],
    [
      'Slack: response_metadata.next_cursor',
      (data, from, _o, size) => ({ data, response_metadata: { next_cursor: `c${nextFrom(from, size) ?? ''}` } }),
    ],
    ['a next that is a page number', (data, from, _o, size) => ({ data, next: nextFrom(from, size) ?? null })],
    [
      'Airtable: an offset token',
      (data, from, _o, size) => {
        const next = nextFrom(from, size);
        return next === undefined ? { data } : { data, offset: `itrA1/rec${next}` };
      },
    ],
  ];
  for (const [name, shape] of signs) {
    it(name, async () => {
      const server = await serve(shape);
      await assert.rejects(ids({ url: server.url, recordsField: 'data' }), (error: Error) => {
        assert.ok(isFerryError(error) && error.code === 'HTTP_MORE_PAGES', String(error));
        assert.match(
          error.message,
          /yet the body says more pages follow \((has_more: true|response_metadata\.next_cursor: "c10"|next: 10|offset: "itrA1\/rec10")\)/,
        );
        return true;
      });
      assert.equal(server.requests.length, 1);
    });
  }

  it('the ends APIs write as 0 (Twitter next_cursor: 0, PHP has_more: 0) end the read too; an offset echoed is none', async () => {
    const server = await serve((data, from, _o, size) => {
      const more = nextFrom(from, size) !== undefined;
      return { data, next_cursor: more ? 'c1' : 0, has_more: more ? 1 : 0, offset: String(from) };
    }, 100);
    assert.deepEqual(await ids({ url: server.url, recordsField: 'data' }), ALL);
  });

  it('the last page saying so (has_more: false, an empty cursor, next: null) ends the read', async () => {
    const server = await serve((data, from, _o, size) => {
      const more = nextFrom(from, size) !== undefined;
      return { data, has_more: more, response_metadata: { next_cursor: '' }, next: null };
    }, 100);
    assert.deepEqual(await ids({ url: server.url, recordsField: 'data' }), ALL);
  });
});

it('page numbers: a short page goes on while the body says more follow (a server that caps its page size)', async () => {
  const server = await serve((results, from, origin, size) => {
    const next = nextFrom(from, size);
    return { next: next === undefined ? null : `${origin}/items?page=${from / size + 2}`, results };
  }, 7);
  const pagination = { type: 'page', pageParam: 'page', size: 10, followLink: false } as const;
  assert.deepEqual(await ids({ url: server.url, recordsField: 'results', pagination }), ALL);
  assert.equal(server.requests.length, 4); // 7 + 7 + 7 + 4
});
