// rest-import against servers that are hostile or broken: each ends at once with its exit code and
// a message that says what to check, never a hang, an exit 1 or endless retries.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startFaultServer, type Fault, type LoggedRequest } from '../helpers/fault-server.ts';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, parseEventLines } from '../helpers/protocol.ts';
import { TLS_FIXTURES } from '../helpers/tls-proxy.ts';
import { tableRows } from './sqlite-rows.ts';

interface Case {
  name: string;
  /** What the server answers to each request. */
  fault: (request: LoggedRequest) => Fault;
  args?: string[];
  env?: Record<string, string>;
  code: string;
  /** Matched against the error message of the result line. */
  message: RegExp;
  /** At most this many requests before the job gives up. */
  requests: number;
}

const emptyPageLinkingOn = (request: LoggedRequest): Fault => {
  const page = Number(request.query.page ?? 1);
  return { kind: 'status', status: 200, body: '[]', headers: { link: `<?page=${page + 1}>; rel="next"` } };
};

const MiB = 1024 * 1024;

const CASES: Case[] = [
  {
    name: 'empty pages forever, each with a Link next',
    fault: emptyPageLinkingOn,
    code: 'HTTP_EMPTY_PAGES',
    message:
      /\?page=11: 11 pages in a row had no records, yet each pointed to a next page, so the import would never end; check/,
    requests: 11,
  },
  {
    name: 'a 200 with an HTML login page',
    fault: () => ({
      kind: 'status',
      status: 200,
      body: '<html><head><title>Sign in</title></head></html>',
      headers: { 'content-type': 'text/html' },
    }),
    code: 'HTTP_NOT_JSON',
    message:
      /answered 200 OK with text\/html, not JSON: a page titled "Sign in"; check the URL .* and the credentials \(a login page\?\)/,
    requests: 1,
  },
  {
    name: 'a 1 GiB body, with --max-body 1',
    fault: () => ({ kind: 'huge', bytes: 1024 * MiB }),
    args: ['--max-body', '1'],
    code: 'HTTP_BODY_TOO_LARGE',
    message:
      /answered 200 OK with a body over the limit of 1 MiB \(1048576 bytes\), so the rest was not read; ask for smaller pages/,
    requests: 1,
  },
  {
    name: 'a 1 GiB body, with REST_IMPORT_MAX_BODY=2',
    fault: () => ({ kind: 'huge', bytes: 1024 * MiB }),
    env: { REST_IMPORT_MAX_BODY: '2' },
    code: 'HTTP_BODY_TOO_LARGE',
    message: /over the limit of 2 MiB \(2097152 bytes\)/,
    requests: 1,
  },
  {
    name: 'a record in Latin-1',
    fault: () => ({
      kind: 'status',
      status: 200,
      body: Buffer.concat([Buffer.from('[{"id":1,"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}]')]),
    }),
    code: 'HTTP_INVALID_UTF8',
    message:
      /answered 200 OK \(application\/json\) with a body that is not UTF-8 at byte 20 of 24 \(0xe9\); JSON must be UTF-8/,
    requests: 1,
  },
  {
    // --page-param misnamed (the API's is `p`): page 1 again each time, in an envelope that changes
    // (a request id): the body never repeats, the records do. It used to read until killed.
    name: 'page 1 again and again, in an envelope with a new request id each time',
    fault: (request) => ({
      kind: 'status',
      status: 200,
      body: JSON.stringify({ requestId: `r${request.n}`, data: [{ id: 1 }, { id: 2 }, { id: 3 }] }),
    }),
    args: ['--page-param', 'page', '--page-size', '3', '--records-field', 'data'],
    code: 'HTTP_PAGINATION_LOOP',
    message: /\?page=2: the page has the same records as the one before, so the pagination goes round in circles/,
    requests: 2,
  },
  {
    // fetch followed redirects itself: a loop was a "network error", retried, then 75.
    name: 'redirects in a loop',
    fault: (request) => ({ kind: 'status', status: 302, body: '', headers: { location: `?hop=${request.n % 2}` } }),
    code: 'HTTP_REDIRECT_LOOP',
    message: /redirects that go round in circles \(.*\?hop=1 → .*\?hop=0 → .*\?hop=1\); check the URL/,
    requests: 3,
  },
  {
    name: 'a Link to a file: URL',
    fault: () => ({
      kind: 'status',
      status: 200,
      body: '[{"id":1}]',
      headers: { link: '<file:///etc/passwd>; rel="next"' },
    }),
    code: 'HTTP_BAD_LINK',
    message: /next page is a file: URL, not HTTP, which is not followed/,
    requests: 1,
  },
  {
    // An id past 2^53 takes the exact-number parse, whose stack overflowed: retried as a cut-off body, then 75.
    name: 'a record nested 200,000 arrays deep, with an id past 2^53',
    fault: () => ({
      kind: 'status',
      status: 200,
      body: `[{"id":12345678901234567890,"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}]`,
    }),
    code: 'HTTP_BODY_TOO_DEEP',
    message: /answered 200 OK with JSON that could not be read \(.+\): its values are nested too deep/,
    requests: 1,
  },
  {
    // The search for the page's title was quadratic: hours of CPU, beyond --timeout and SIGTERM.
    name: 'an HTML page of "<title " a million times',
    fault: () => ({
      kind: 'status',
      status: 200,
      body: '<title '.repeat(1_000_000),
      headers: { 'content-type': 'text/html' },
    }),
    code: 'HTTP_NOT_JSON',
    message: /answered 200 OK with text\/html, not JSON: <title <title/,
    requests: 1,
  },
  {
    // Page 4 of 3 is page 1 again, 5 is 2…: no page like the one before it, so it read forever.
    name: 'page numbers that wrap round',
    fault: (request) => {
      const first = ((Number(request.query.page) - 1) % 3) * 3;
      return { kind: 'status', status: 200, body: JSON.stringify([1, 2, 3].map((i) => ({ id: first + i }))) };
    },
    args: ['--page-param', 'page', '--page-size', '3'],
    code: 'HTTP_PAGINATION_LOOP',
    message:
      /\?page=4: the page has the same records as http:\/\/127\.0\.0\.1:\d+\/items\?page=1, so the pagination goes round/,
    requests: 4,
  },
  {
    // It was rejected as "id is missing or empty", which sent the reader looking for a missing field.
    name: 'a record whose id is an object',
    fault: () => ({ kind: 'status', status: 200, body: '[{"id":{"value":7},"name":"a"}]' }),
    code: 'REJECTS_OVER_LIMIT',
    message: /page 1, record 1: id: id is an object, not a string or a number/,
    requests: 1,
  },
  {
    // A reject is stored redacted, and the copy that redacts it once recursed: a stack overflow, exit 1.
    name: 'a record nested 200,000 arrays deep',
    fault: () => ({ kind: 'status', status: 200, body: `[${'['.repeat(200_000)}${']'.repeat(200_000)}]` }),
    code: 'REJECTS_OVER_LIMIT',
    message: /page 1, record 1: the record is not a JSON object/,
    requests: 1,
  },
];

describe('rest-import against a hostile or broken server: exit 65 at once, with what to check', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await using server = await startFaultServer({ faults: c.fault });
      const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-hostile-')), 'rest.db');
      const args = ['--api-url', server.url, '--db-path', db, '--log-format', 'json', ...(c.args ?? [])];
      const finished = await runExample('rest-import', args, { timeoutMs: 60_000, ...(c.env ? { env: c.env } : {}) });
      const result = parseEventLines(finished.stdout).at(-1);
      assert.ok(result?.type === 'result', finished.stderr);
      assert.deepEqual([finished.code, result.error?.code, result.counts.inserted], [65, c.code, 0], finished.stderr);
      assert.match(result.error?.message ?? '', c.message);
      assert.ok(server.requests.length <= c.requests, `${server.requests.length} requests`);
    });
  }
});

describe('rest-import against a page-numbered API that answers 404 past its last page (Django REST framework)', () => {
  // {"count": N, "next": …, "results": […]}, and 404 {"detail": "Invalid page."} for a page past the
  // last: when N is a multiple of the page size, the last page is full and the next one is asked for.
  async function drf(records: number, size: number) {
    const { createServer } = await import('node:http');
    const server = createServer((request, response) => {
      const page = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
      const from = (page - 1) * size;
      response.setHeader('content-type', 'application/json');
      if (page < 1 || (from >= records && page > 1)) {
        response.statusCode = 404;
        return response.end('{"detail":"Invalid page."}');
      }
      const results = Array.from({ length: Math.min(size, records - from) }, (_, i) => ({ id: from + i + 1 }));
      response.end(JSON.stringify({ count: records, next: null, previous: null, results }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/items`,
      [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  const args = (url: string, db: string, total: boolean) => [
    '--api-url',
    url,
    '--db-path',
    db,
    '--page-param',
    'page',
    '--page-size-param',
    'page_size',
    '--page-size',
    '10',
    '--records-field',
    'results',
    ...(total ? ['--total-field', 'count'] : []),
  ];

  it('with --total-field count, a 404 after every record the count announced ends the read: exit 0, all 30', async () => {
    await using api = await drf(30, 10);
    const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-drf-')), 'drf.db');
    const finished = await runExample('rest-import', args(api.url, db, true));
    const result = parseEventLines(finished.stdout).at(-1);
    assert.equal(finished.code, 0, finished.stderr);
    assert.ok(result?.type === 'result');
    assert.deepEqual([result.counts?.read, result.counts?.inserted], [30, 30]);
  });

  it('without a count, the same 404 stays an error (it could be an outage): 65 HTTP_404', async () => {
    await using api = await drf(30, 10);
    const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-drf-')), 'drf.db');
    const finished = await runExample('rest-import', args(api.url, db, false));
    const result = parseEventLines(finished.stdout).at(-1);
    assert.ok(result?.type === 'result');
    assert.deepEqual([finished.code, result.error?.code], [65, 'HTTP_404'], finished.stderr);
  });
});

it('rest-import against a page-numbered API that answers 204 No Content past its last page: exit 0, all 20', async () => {
  await using server = await startFaultServer({
    records: 20,
    pagination: 'page',
    faults: (request) => (Number(request.query.page) > 2 ? { kind: 'status', status: 204, body: '' } : undefined),
  });
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-204-')), 'rest.db');
  const args = ['--api-url', server.url, '--db-path', db, '--page-param', 'page', '--page-size-param', 'per_page'];
  const finished = await runExample('rest-import', [...args, '--page-size', '10']);
  const result = parseEventLines(finished.stdout).at(-1);
  assert.equal(finished.code, 0, finished.stderr);
  assert.ok(result?.type === 'result');
  assert.deepEqual([result.counts.read, result.counts.inserted, server.requests.length], [20, 20, 3]);
  assert.equal(tableRows(db, 'items', 'id').length, 20);
});

it('rest-import against a Link API whose page 2 lost its Link: 75, not a success with 10 of 30 rows missing', async () => {
  const page2 = Array.from({ length: 10 }, (_, i) => ({ id: 11 + i, name: `record ${11 + i}` }));
  await using server = await startFaultServer({
    records: 30,
    faults: { 2: { kind: 'status', status: 200, body: JSON.stringify(page2), headers: { 'x-total-count': '30' } } },
  });
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-lost-link-')), 'rest.db');
  const finished = await runExample('rest-import', ['--api-url', `${server.url}?per_page=10`, '--db-path', db]);
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', finished.stderr);
  assert.deepEqual([finished.code, result.error?.code, result.counts.read], [75, 'HTTP_RECORDS_MISSING', 20]);
  assert.match(result.error?.message ?? '', /the pages ended after 20 records, but the first page announced 30/);
});

it('rest-import against a rate limit answered as 403 (GitHub) that outlasts the retries: 75 to run again later, not 65', async () => {
  await using server = await startFaultServer({
    faults: () => ({
      kind: 'status',
      status: 403,
      body: '{"message":"API rate limit exceeded for 203.0.113.9"}',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
    }),
  });
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-rate-limit-')), 'rest.db');
  const finished = await runExample('rest-import', ['--api-url', server.url, '--db-path', db, '--max-retries', '1']);
  failsWith(
    finished,
    75,
    'HTTP_403',
    /failed 2 times, last with 403 Forbidden \(a rate limit\): \{"message":"API rate limit/,
  );
  assert.equal(server.requests.length, 2);
});

it('rest-import with --api-url on a port fetch refuses (6666): 64 HTTP_BAD_PORT at once, not 75 after every retry', async () => {
  const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-bad-port-')), 'rest.db');
  const started = Date.now();
  const finished = await runExample('rest-import', ['--api-url', 'http://127.0.0.1:6666/items', '--db-path', db]);
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', finished.stderr);
  assert.deepEqual([finished.code, result.error?.code], [64, 'HTTP_BAD_PORT']);
  assert.match(result.error?.message ?? '', /port 6666 is one fetch refuses .*serve the API on another port/);
  assert.ok(Date.now() - started < 10_000, 'no backoff between retries');
});

describe('rest-import against HTTPS whose certificate is not accepted', () => {
  async function serveTls() {
    const tls = {
      cert: await readFile(path.join(TLS_FIXTURES, 'server.crt')),
      key: await readFile(path.join(TLS_FIXTURES, 'server.key')),
    };
    let handshakes = 0;
    const server = createHttpsServer(tls, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":1},{"id":2}]'),
    );
    server.on('tlsClientError', () => handshakes++).on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as AddressInfo).port, handshakes: () => handshakes };
  }

  it('signed by a CA not trusted (self-signed), for another host name, or no TLS at all: 64 HTTP_TLS at once, saying what to do', async () => {
    const api = await serveTls();
    try {
      const dir = await mkdtemp(path.join(tmpdir(), 'ferry-rest-tls-'));
      const cases: [string, Record<string, string>, RegExp][] = [
        [`https://127.0.0.1:${api.port}/items`, {}, /self-signed certificate/],
        [
          `https://localhost:${api.port}/items`,
          { NODE_EXTRA_CA_CERTS: path.join(TLS_FIXTURES, 'server.crt') },
          /altnames/,
        ],
      ];
      for (const [url, env, said] of cases) {
        const before = api.handshakes();
        const finished = await runExample('rest-import', ['--api-url', url, '--db-path', path.join(dir, 'x.db')], {
          env,
        });
        const result = parseEventLines(finished.stdout).at(-1);
        assert.ok(result?.type === 'result', finished.stderr);
        assert.deepEqual([finished.code, result.error?.code], [64, 'HTTP_TLS'], url);
        assert.match(result.error?.message ?? '', said);
        assert.match(result.error?.message ?? '', /NODE_USE_SYSTEM_CA=1.*NODE_EXTRA_CA_CERTS=<file\.pem>/);
        assert.equal(api.handshakes() - before, 1, `${url}: tried once, not retried`);
      }
      const plain = await startFaultServer({ records: 3 });
      const wrong = await runExample('rest-import', [
        '--api-url',
        plain.url.replace('http:', 'https:'),
        '--db-path',
        path.join(dir, 'w.db'),
      ]);
      await plain.close();
      const said = parseEventLines(wrong.stdout).at(-1);
      assert.ok(said?.type === 'result', wrong.stderr);
      assert.deepEqual([wrong.code, said.error?.code], [64, 'HTTP_TLS'], 'https:// to a plain HTTP port');
      assert.match(said.error?.message ?? '', /does not answer TLS there .*write http:\/\//);
      assert.equal(plain.requests.length, 0);
      const trusted = await runExample(
        'rest-import',
        ['--api-url', `https://127.0.0.1:${api.port}/items`, '--db-path', path.join(dir, 'ok.db')],
        { env: { NODE_EXTRA_CA_CERTS: path.join(TLS_FIXTURES, 'server.crt') } },
      );
      assert.equal(trusted.code, 0, trusted.stdout);
      assert.equal(tableRows(path.join(dir, 'ok.db'), 'items', 'id').length, 2);
    } finally {
      api.server.close();
    }
  });
});
