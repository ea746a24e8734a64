// rest-import against servers that page and answer as real APIs do (Zendesk, Jira, Elasticsearch,
// WordPress, Slack…), configured as a user would: every record, or an exit code and a message that
// name the fault. Each case was an exit 0 with rows missing, or the wrong failure, before its fix.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf } from '../helpers/protocol.ts';
import { tableRows } from './sqlite-rows.ts';

type Handler = (request: IncomingMessage, response: ServerResponse, query: URLSearchParams, origin: string) => void;

/** A server on 127.0.0.1 answering every request with `handler`; counts the requests. */
async function api(handler: Handler) {
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    handler(request, response, new URL(request.url ?? '/', origin).searchParams, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const database = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-real-apis-')), 'rest.db');
const ids = (db: string) => tableRows(db, 'items', 'CAST(id AS INTEGER)').map((r) => Number(r.id));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function restImport(url: string, args: string[]) {
  const db = await database();
  const finished = await runExample('rest-import', ['--api-url', url, '--table', 'items', ...args, '--db-path', db]);
  return { finished, db };
}

describe('Zendesk incremental exports end at end_of_stream, though their last page has a next URL', () => {
  const tickets = range(1, 26).map((id) => ({ id, updated_at: 1000 + id * 10 }));

  it('time-based (next_page): every ticket, exit 0 (was 65 HTTP_PAGINATION_LOOP, nothing kept)', async () => {
    await using server = await api((_request, response, query, origin) => {
      const start = Number(query.get('start_time') ?? 0);
      const after = tickets.filter((t) => t.updated_at >= start);
      const page = after.slice(0, 10);
      const end = page.at(-1)?.updated_at ?? start;
      json(response, {
        tickets: page,
        next_page: `${origin}/api/v2/incremental/tickets.json?start_time=${end}`,
        count: page.length,
        end_of_stream: after.length <= 10,
        end_time: end,
      });
    });
    const url = `${server.origin}/api/v2/incremental/tickets.json?start_time=0`;
    const { finished, db } = await restImport(url, ['--records-field', 'tickets']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), range(1, 26));
  });

  it('cursor-based (after_url): every ticket (was exit 0 with the first page alone)', async () => {
    await using server = await api((_request, response, query, origin) => {
      const from = Number(query.get('cursor') ?? 0);
      json(response, {
        tickets: tickets.slice(from, from + 10),
        after_url: `${origin}/api/v2/incremental/tickets/cursor.json?cursor=${from + 10}`,
        after_cursor: String(from + 10),
        before_url: null,
        before_cursor: null,
        end_of_stream: from + 10 >= tickets.length,
      });
    });
    const url = `${server.origin}/api/v2/incremental/tickets/cursor.json?start_time=0`;
    const { finished, db } = await restImport(url, ['--records-field', 'tickets']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), range(1, 26));
  });
});

describe('a first page whose body counts more records than it holds, with nothing to page by: 65 HTTP_MORE_PAGES', () => {
  it('Jira (startAt, maxResults, total): was exit 0 with 50 of 120 issues', async () => {
    await using server = await api((_request, response, query) => {
      const startAt = Number(query.get('startAt') ?? 0);
      const issues = range(startAt, Math.min(120, startAt + 50)).map((i) => ({ id: String(10000 + i), key: `P-${i}` }));
      json(response, { expand: 'schema,names', startAt, maxResults: 50, total: 120, issues });
    });
    const { finished, db } = await restImport(`${server.origin}/rest/api/2/search?jql=project%3DP`, [
      '--records-field',
      'issues',
    ]);
    failsWith(finished, 65, 'HTTP_MORE_PAGES', /yet the body says more pages follow \(total: 120, 50 records read\)/);
    assert.deepEqual(ids(db), []);
  });

  it('Elasticsearch (hits.total.value): was exit 0 with the first 10 hits', async () => {
    await using server = await api((_request, response) => {
      const hits = range(0, 10).map((i) => ({ _index: 'logs', _id: String(i), _source: { n: i } }));
      json(response, { took: 3, timed_out: false, hits: { total: { value: 35, relation: 'eq' }, hits } });
    });
    const { finished } = await restImport(`${server.origin}/logs/_search`, [
      '--records-field',
      'hits.hits',
      '--id-field',
      '_id',
    ]);
    failsWith(finished, 65, 'HTTP_MORE_PAGES', /\(hits\.total\.value: 35, 10 records read\)/);
  });

  it('a "total" that is an amount, not a count: 65 says how to name the count; --total-field settles it', async () => {
    await using server = await api((_request, response) =>
      json(response, { currency: 'EUR', total: 12995, count: 3, items: range(1, 4).map((id) => ({ id })) }),
    );
    const alone = await restImport(`${server.origin}/cart`, ['--records-field', 'items']);
    failsWith(
      alone.finished,
      65,
      'HTTP_MORE_PAGES',
      /if total is not the number of records, name the field that is .*--total-field/,
    );
    const { finished, db } = await restImport(`${server.origin}/cart`, [
      '--records-field',
      'items',
      '--total-field',
      'count',
    ]);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), [1, 2, 3]);
  });

  it('a total the single page holds in full is no sign: exit 0', async () => {
    await using server = await api((_request, response) =>
      json(response, { total: 3, issues: range(1, 4).map((id) => ({ id })) }),
    );
    const { finished, db } = await restImport(`${server.origin}/issues`, ['--records-field', 'issues']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), [1, 2, 3]);
  });
});

describe('a 200 whose body says the request failed is that failure, not an empty page: 65 HTTP_BODY_ERROR', () => {
  it('an error beside an empty records array on page 2: was exit 0 with page 1 alone', async () => {
    await using server = await api((_request, response, query, origin) => {
      const page = Number(query.get('page') ?? 1);
      if (page === 2) return json(response, { data: [], error: { message: 'internal error, try again' } });
      json(response, { data: range(1, 11).map((id) => ({ id })), next: `${origin}/items?page=${page + 1}` });
    });
    const { finished } = await restImport(`${server.origin}/items`, ['--records-field', 'data']);
    failsWith(
      finished,
      65,
      'HTTP_BODY_ERROR',
      /items\?page=2 answered with no records and an error in its body \(\{"data":\[\],"error":\{"message":"internal error, try again"\}\}\); an empty page would have ended the import there/,
    );
  });

  it('GraphQL-style errors beside an empty list on the only page: was exit 0 with no rows', async () => {
    await using server = await api((_request, response) =>
      json(response, { data: [], errors: [{ code: 'TIMEOUT', message: 'query timed out' }] }),
    );
    const { finished } = await restImport(`${server.origin}/items`, ['--records-field', 'data']);
    failsWith(finished, 65, 'HTTP_BODY_ERROR', /"query timed out"/);
  });

  it('an empty last page whose error fields say none (null, 0, [], {}, ok: true): exit 0, every record', async () => {
    await using server = await api((_request, response, query, origin) => {
      const page = Number(query.get('page') ?? 1);
      const data = page === 1 ? range(1, 11).map((id) => ({ id })) : [];
      const next = page === 1 ? `${origin}/items?page=2` : null;
      json(response, { ok: true, data, error: page === 1 ? null : 0, errors: page === 1 ? [] : {}, next });
    });
    const { finished, db } = await restImport(`${server.origin}/items`, ['--records-field', 'data']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), range(1, 11));
  });

  it("Slack's ok: false names its error, not the records field's absence", async () => {
    await using server = await api((_request, response) => json(response, { ok: false, error: 'invalid_auth' }));
    const { finished } = await restImport(`${server.origin}/users.list`, ['--records-field', 'members']);
    failsWith(finished, 65, 'HTTP_BODY_ERROR', /\{"ok":false,"error":"invalid_auth"\}/);
  });
});

it('expired credentials answered 200 {"message": "Bad credentials"}: 65 HTTP_BODY_SHAPE showing the body (it said only "check the URL")', async () => {
  await using server = await api((_request, response) => json(response, { message: 'Bad credentials' }));
  const { finished } = await restImport(`${server.origin}/items`, [
    '--records-field',
    'data',
    '--api-key',
    'sk_live_secret',
  ]);
  const result = failsWith(
    finished,
    65,
    'HTTP_BODY_SHAPE',
    /"data" in the body is missing, not an array of records; the body holds no array at all \(\{"message":"Bad credentials"\}\): check the URL and the credentials/,
  );
  assert.doesNotMatch(JSON.stringify(result), /sk_live_secret/);
});

describe('a JSON-labelled body that no read will make JSON fails at once (was 75 after every retry)', () => {
  for (const [name, body] of [
    ['JSONP', Buffer.from('/**/ typeof cb === "function" && cb([{"id":1}]);')],
    ['an XSSI guard', Buffer.from(`)]}'\n[{"id":1}]`)],
  ] as const) {
    it(`${name}: 65 HTTP_NOT_JSON after one request`, async () => {
      await using server = await api((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
      const { finished } = await restImport(`${server.origin}/items`, []);
      failsWith(finished, 65, 'HTTP_NOT_JSON', /answered 200 OK with application\/json, not JSON: /);
      assert.equal(server.requests, 1);
    });
  }

  for (const [name, body] of [
    ['NDJSON', '{"id":1}\n{"id":2}\n'],
    ["Python's NaN", '[{"id":1,"v":NaN}]'],
    ['a trailing comma', '[{"id":1},]'],
    ['a PHP warning after the JSON', '[{"id":1}]<br />\n<b>Warning</b>: Undefined index'],
  ] as const) {
    it(`${name}, whole: 65 HTTP_NOT_JSON after one request`, async () => {
      await using server = await api((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
      const { finished } = await restImport(`${server.origin}/items`, []);
      failsWith(
        finished,
        65,
        'HTTP_NOT_JSON',
        /with a body that is whole but not JSON \(.+\), so reading it again returns the same/,
      );
      assert.equal(server.requests, 1);
    });
  }

  it('UTF-16 with its byte-order mark: 65 HTTP_INVALID_UTF8 saying UTF-16, after one request', async () => {
    await using server = await api((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-16' });
      response.end(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[{"id":1}]', 'utf16le')]));
    });
    const { finished } = await restImport(`${server.origin}/items`, []);
    failsWith(
      finished,
      65,
      'HTTP_INVALID_UTF8',
      /with a body in UTF-16 \(it starts 0xff 0xfe 0x5b 0x00\); JSON must be UTF-8/,
    );
    assert.equal(server.requests, 1);
  });
});

it('WordPress with --page-param, the last page full: every post, exit 0 (was 65 on the 400 past the last page)', async () => {
  await using server = await api((request, response, query, origin) => {
    const [page, perPage] = [Number(query.get('page') ?? 1), Number(query.get('per_page') ?? 10)];
    const pages = 3;
    if (page > pages) {
      response.writeHead(400, { 'content-type': 'application/json; charset=UTF-8' });
      const message = 'The page number requested is larger than the number of pages available.';
      return response.end(JSON.stringify({ code: 'rest_post_invalid_page_number', message, data: { status: 400 } }));
    }
    const at = (n: number) => `<${origin}/wp-json/wp/v2/posts?per_page=${perPage}&page=${n}>`;
    const link = [page > 1 ? `${at(page - 1)}; rel="prev"` : '', page < pages ? `${at(page + 1)}; rel="next"` : ''];
    const posts = range((page - 1) * perPage + 1, page * perPage + 1).map((id) => ({
      id,
      title: { rendered: `${id}` },
    }));
    json(response, posts, {
      'x-wp-total': '30',
      'x-wp-totalpages': String(pages),
      link: link.filter(Boolean).join(', '),
    });
    void request;
  });
  const args = ['--page-param', 'page', '--page-size-param', 'per_page', '--page-size', '10'];
  const { finished, db } = await restImport(`${server.origin}/wp-json/wp/v2/posts`, args);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual([resultOf(finished).counts.read, ids(db)], [30, range(1, 31)]);
  assert.equal(server.requests, 3);
});

it('--page-param and a page emptied by a filter midway, has_more: true: the pages after it too (was exit 0 without them)', async () => {
  await using server = await api((_request, response, query) => {
    const page = Number(query.get('page') ?? 1);
    const data = page === 2 || page > 3 ? [] : range((page - 1) * 10 + 1, page * 10 + 1).map((id) => ({ id }));
    json(response, { data, has_more: page < 3 });
  });
  const args = ['--records-field', 'data', '--page-param', 'page', '--page-size', '10'];
  const { finished, db } = await restImport(`${server.origin}/items`, args);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(ids(db), [...range(1, 11), ...range(21, 31)]);
  assert.equal(server.requests, 4); // page 3 was full: page 4, empty, ends it
});

describe('--offset-param pages by record offset (Jira: startAt, maxResults, total)', () => {
  /** 120 issues; maxResults capped at 50, as Jira Cloud does whatever is asked. */
  const jira = () =>
    api((_request, response, query) => {
      const startAt = Number(query.get('startAt') ?? 0);
      const maxResults = Math.min(50, Number(query.get('maxResults') ?? 50));
      const issues = range(startAt, Math.min(120, startAt + maxResults)).map((i) => ({ id: String(10000 + i) }));
      json(response, { startAt, maxResults, total: 120, issues });
    });

  it('every issue, though the server caps the page below --page-size', async () => {
    await using server = await jira();
    const args = ['--records-field', 'issues', '--offset-param', 'startAt', '--page-size-param', 'maxResults'];
    const { finished, db } = await restImport(`${server.origin}/rest/api/2/search`, [...args, '--page-size', '100']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), range(10000, 10120));
    assert.equal(server.requests, 3);
  });

  it('issues deleted mid-run shift the offsets: 75 HTTP_RECORDS_MISSING by its total, then a rerun exact', async () => {
    let issues = range(10000, 10120).map((id) => ({ id: String(id) }));
    let requests = 0;
    await using server = await api((_request, response, query) => {
      if (++requests === 2) issues = issues.slice(5); // five deleted once page 1 is read
      const startAt = Number(query.get('startAt') ?? 0);
      json(response, { startAt, maxResults: 50, total: issues.length, issues: issues.slice(startAt, startAt + 50) });
    });
    const url = `${server.origin}/rest/api/2/search`;
    const args = ['--records-field', 'issues', '--offset-param', 'startAt', '--page-size-param', 'maxResults'];
    const db = await database();
    const run = () => runExample('rest-import', ['--api-url', url, '--table', 'items', ...args, '--db-path', db]);
    failsWith(await run(), 75, 'HTTP_RECORDS_MISSING', /ended after 115 records, but the first page announced 120/);
    const rerun = await run();
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(ids(db), range(10005, 10120));
  });

  for (const [flags, message] of [
    [['--offset-param', 'startAt'], /--offset-param startAt needs --page-size-param/],
    [
      ['--offset-param', 'startAt', '--page-param', 'page'],
      /--page-param and --offset-param are ways to find the next page: give one/,
    ],
    [
      ['--offset-param', 'startAt', '--page-size-param', 'maxResults', '--cursor-field', 'updated'],
      /for incremental sync use --page-param/,
    ],
  ] as const) {
    it(`${flags.join(' ')}: 64`, async () => {
      await using server = await jira();
      const { finished } = await restImport(`${server.origin}/rest/api/2/search`, [
        '--records-field',
        'issues',
        ...flags,
      ]);
      failsWith(finished, 64, 'CONFIG_INVALID', message);
    });
  }
});

it('PagerDuty (offset, limit, more: true): 65 naming more without --offset-param (was exit 0 with the first page), every incident with it', async () => {
  await using server = await api((_request, response, query) => {
    const [offset, limit] = [Number(query.get('offset') ?? 0), Number(query.get('limit') ?? 25)];
    const incidents = range(offset, Math.min(60, offset + limit)).map((i) => ({ id: `P${1000 + i}` }));
    json(response, { incidents, limit, offset, more: offset + limit < 60, total: null });
  });
  const url = `${server.origin}/incidents`;
  const alone = await restImport(url, ['--records-field', 'incidents']);
  failsWith(alone.finished, 65, 'HTTP_MORE_PAGES', /\(more: true\)/);
  const paged = await restImport(url, [
    '--records-field',
    'incidents',
    '--offset-param',
    'offset',
    '--page-size-param',
    'limit',
    '--page-size',
    '25',
  ]);
  assert.equal(paged.finished.code, 0, paged.finished.stderr);
  assert.equal(tableRows(paged.db, 'items', 'id').length, 60);
});

/** 25 records, 10 a page from ?from= (a position the server hands out), in the body `shape` makes. */
type Shape = (data: { id: number }[], next: number | undefined, origin: string) => unknown;

async function shaped(shape: Shape, headers: (next: number | undefined, origin: string) => Record<string, string>) {
  return api((_request, response, query, origin) => {
    const from = Number(query.get('from') ?? 0);
    const data = range(from + 1, Math.min(25, from + 10) + 1).map((id) => ({ id }));
    const next = from + 10 < 25 ? from + 10 : undefined;
    json(response, shape(data, next, origin), headers(next, origin));
  });
}

describe('more APIs that page by their body: every record, or 65 naming the token (each was exit 0 with page 1)', () => {
  const none = () => ({});
  const cases: [string, Shape, string, RegExp | undefined][] = [
    [
      'Twilio (next_page_uri, a path)',
      (messages, next) => ({ messages, next_page_uri: next === undefined ? null : `/items?from=${next}` }),
      'messages',
      undefined,
    ],
    [
      'Asana (next_page.uri)',
      (data, next, origin) => ({
        data,
        next_page: next === undefined ? null : { offset: 'x', uri: `${origin}/items?from=${next}` },
      }),
      'data',
      undefined,
    ],
    [
      'Calendly (pagination.next_page)',
      (collection, next, origin) => ({
        collection,
        pagination: { next_page: next === undefined ? null : `${origin}/items?from=${next}` },
      }),
      'collection',
      undefined,
    ],
    [
      'X API v2 (meta.next_token)',
      (data, next) => ({
        data,
        meta: { result_count: data.length, ...(next === undefined ? {} : { next_token: `t${next}` }) },
      }),
      'data',
      /\(meta\.next_token: "t10"\)/,
    ],
    [
      'Square (cursor)',
      (customers, next) => ({ customers, ...(next === undefined ? {} : { cursor: `c${next}` }) }),
      'customers',
      /\(cursor: "c10"\)/,
    ],
    [
      'Pipedrive (more_items_in_collection)',
      (data, next) => ({
        success: true,
        data,
        additional_data: {
          pagination: { start: 0, limit: 10, more_items_in_collection: next !== undefined, next_start: next },
        },
      }),
      'data',
      /more_items_in_collection: true/,
    ],
  ];
  for (const [name, shape, records, fails] of cases) {
    it(name, async () => {
      await using server = await shaped(shape, none);
      const { finished, db } = await restImport(`${server.origin}/items`, ['--records-field', records]);
      if (fails !== undefined) return void failsWith(finished, 65, 'HTTP_MORE_PAGES', fails);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(ids(db), range(1, 26));
    });
  }

  it('Sentry (a Link next marked results="false" on the last page): every record, exit 0 (was 65 HTTP_EMPTY_PAGES)', async () => {
    await using server = await api((_request, response, query, origin) => {
      const from = Number(query.get('cursor') ?? 0);
      const data = range(from + 1, Math.min(25, from + 10) + 1).map((id) => ({ id }));
      const more = from + 10 < 25;
      const link =
        `<${origin}/items?cursor=${Math.max(0, from - 10)}>; rel="previous"; results="${from > 0}"; cursor="p", ` +
        `<${origin}/items?cursor=${from + 10}>; rel="next"; results="${more}"; cursor="n${from + 10}"`;
      json(response, data, { link });
    });
    const { finished, db } = await restImport(`${server.origin}/items`, []);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ids(db), range(1, 26));
  });
});

describe('202 Accepted, statistics not computed yet (GitHub): asked again, as a 503', () => {
  for (const body of ['{}', '[]']) {
    it(`202 with ${body}, then 200: every record (was ${body === '[]' ? 'exit 0 with none' : '65 HTTP_BODY_SHAPE'})`, async () => {
      await using server = await api((_request, response) => {
        if (server.requests === 1) {
          response.writeHead(202, { 'content-type': 'application/json', 'retry-after': '0' });
          return response.end(body);
        }
        json(response, [{ id: 1 }, { id: 2 }]);
      });
      const { finished, db } = await restImport(`${server.origin}/repos/o/r/stats/contributors`, []);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual([ids(db), server.requests], [[1, 2], 2]);
    });
  }

  it('202 on every request: 75 HTTP_202 once retries run out', async () => {
    await using server = await api((_request, response) => {
      response.writeHead(202, { 'content-type': 'application/json', 'retry-after': '0' });
      response.end('{}');
    });
    const { finished } = await restImport(`${server.origin}/repos/o/r/stats/contributors`, ['--max-retries', '2']);
    failsWith(
      finished,
      75,
      'HTTP_202',
      /failed 3 times, last with 202 Accepted: \{\}; the server or the network is having trouble: run again later/,
    );
  });
});

describe('--after-param carries the last record id to the next request (Stripe: starting_after, has_more)', () => {
  /** 25 customers, newest first, ids in no order; unknown parameters refused with 400, as Stripe does. */
  const customers = range(0, 25).map((i) => ({
    id: `cus_${((i * 7919) % 100003).toString(36)}x${i}`,
    created: 2000 - i,
  }));
  const stripe = () =>
    api((request, response, query) => {
      const unknown = [...query.keys()].find((name) => !['limit', 'starting_after'].includes(name));
      if (unknown !== undefined) {
        response.writeHead(400, { 'content-type': 'application/json' });
        const message = `Received unknown parameter: ${unknown}`;
        return response.end(JSON.stringify({ error: { type: 'invalid_request_error', message } }));
      }
      const after = query.get('starting_after');
      const from = after === null ? 0 : customers.findIndex((c) => c.id === after) + 1;
      const limit = Number(query.get('limit') ?? 10);
      const data = customers.slice(from, from + limit);
      json(response, { object: 'list', url: '/v1/customers', has_more: from + limit < customers.length, data });
      void request;
    });

  it('every customer, exit 0 (without it: 65 HTTP_MORE_PAGES, and no flag could page Stripe)', async () => {
    await using server = await stripe();
    const args = ['--records-field', 'data', '--after-param', 'starting_after', '--page-size-param', 'limit'];
    const { finished, db } = await restImport(`${server.origin}/v1/customers`, [...args, '--page-size', '10']);
    assert.equal(finished.code, 0, finished.stderr);
    const rows = tableRows(db, 'items', 'id').map((r) => String(r.id));
    assert.deepEqual(rows, customers.map((c) => c.id).toSorted());
    assert.equal(server.requests, 3);
  });

  it('--after-param with --page-param: 64', async () => {
    await using server = await stripe();
    const { finished } = await restImport(`${server.origin}/v1/customers`, [
      '--after-param',
      'starting_after',
      '--page-param',
      'page',
    ]);
    failsWith(
      finished,
      64,
      'CONFIG_INVALID',
      /--page-param and --after-param are ways to find the next page: give one/,
    );
  });
});
