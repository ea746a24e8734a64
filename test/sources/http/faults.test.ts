import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PermanentError, RetryableError } from '../../../src/errors/errors.ts';
import { httpSource } from '../../../src/sources/http/index.ts';
import { startFaultServer, type Fault, type FaultPlan } from '../../helpers/fault-server.ts';
import { readAll as read } from './read-all.ts';

const N = 23;
const ALL = Array.from({ length: N }, (_, i) => i + 1);

async function serve(faults: FaultPlan, token?: string) {
  const server = await startFaultServer({ records: N, faults, ...(token === undefined ? {} : { token }) });
  after(() => server.close());
  return server;
}

const at = (fault: Fault, ...requests: number[]): FaultPlan => Object.fromEntries(requests.map((n) => [n, fault]));
const status = (code: number): Fault => ({ kind: 'status', status: code });

describe('each fault is survived with the same records as a fault-free run', () => {
  const cases: [string, FaultPlan, string[]][] = [
    ['no fault', {}, []],
    [
      'a burst of 500, 502, 503',
      { 2: status(500), 3: status(502), 4: status(503) },
      ['HTTP_500', 'HTTP_502', 'HTTP_503'],
    ],
    ['504 then 408', { 1: status(504), 2: status(408) }, ['HTTP_504', 'HTTP_408']],
    // RFC 8470: a 425 Too Early asks for the request again; it was a PermanentError.
    ['425 Too Early', { 2: status(425) }, ['HTTP_425']],
    ['429 with Retry-After: 0', at({ kind: 'retry-after', seconds: 0, as: 'seconds' }, 3), ['HTTP_429']],
    ['connection reset, twice', at({ kind: 'reset' }, 1, 3), ['HTTP_NETWORK', 'HTTP_NETWORK']],
    ['body cut off by a reset', at({ kind: 'truncate' }, 2), ['HTTP_NETWORK']],
    ['a complete 200 with half a JSON body', at({ kind: 'bad-json' }, 3), ['HTTP_INVALID_JSON']],
    ['an answer slower than timeoutMs', at({ kind: 'slow', delayMs: 2_000 }, 2), ['HTTP_TIMEOUT']],
    ['half a body, then silence: the timeout covers the body too', at({ kind: 'stall' }, 2), ['HTTP_TIMEOUT']],
    [
      'every kind on one page',
      {
        2: status(503),
        3: { kind: 'reset' },
        4: { kind: 'truncate' },
        5: { kind: 'bad-json' },
        6: { kind: 'slow', delayMs: 2_000 },
      },
      ['HTTP_503', 'HTTP_NETWORK', 'HTTP_NETWORK', 'HTTP_INVALID_JSON', 'HTTP_TIMEOUT'],
    ],
  ];
  for (const [name, plan, codes] of cases) {
    it(name, async () => {
      const server = await serve(plan);
      const { ids, retries } = await read({ url: server.url, timeoutMs: 400 });
      assert.deepEqual(ids, ALL);
      assert.deepEqual(
        retries.map((r) => r.code),
        codes,
      );
      assert.equal(server.requests.length, 3 + codes.length);
    });
  }
});

it('a timeout is enforced: the slow answer is abandoned, not awaited', async () => {
  const server = await serve(at({ kind: 'slow', delayMs: 5_000 }, 1));
  const started = performance.now();
  const { ids, retries } = await read({ url: server.url, timeoutMs: 200 });
  assert.deepEqual(ids, ALL);
  assert.match(retries[0]?.reason ?? '', /no complete answer within 200 ms/);
  assert.ok(performance.now() - started < 1_500, 'waited for the slow answer');
});

describe('Retry-After is honoured, even above backoff.maxMs', () => {
  const cases: [string, Fault, number, number][] = [
    ['429, delta-seconds', { kind: 'retry-after', seconds: 1, as: 'seconds' }, 1_000, 1_000],
    // An HTTP-date has whole seconds, so "2 s from now" means about 1 to 2 s by the time it is read.
    ['503, HTTP-date', { kind: 'retry-after', seconds: 2, as: 'date', status: 503 }, 900, 2_000],
  ];
  for (const [name, fault, least, most] of cases) {
    it(name, async () => {
      const server = await serve(at(fault, 2));
      const started = performance.now();
      const { ids, retries } = await read({ url: server.url });
      const elapsed = performance.now() - started;
      assert.deepEqual(ids, ALL);
      const delay = retries[0]?.delayMs ?? 0;
      assert.ok(delay >= least && delay <= most, `delay ${delay} ms`);
      assert.ok(elapsed >= delay, `elapsed ${elapsed} ms < asked ${delay} ms`);
    });
  }

  it('a 403 that is a rate limit (GitHub: X-RateLimit-Remaining 0) waits for X-RateLimit-Reset, then goes on', async () => {
    const server = await serve((request) =>
      request.n === 2
        ? {
            kind: 'status',
            status: 403,
            body: '{"message":"API rate limit exceeded"}',
            headers: {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1), // epoch seconds
            },
          }
        : undefined,
    );
    const { ids, retries } = await read({ url: server.url });
    assert.deepEqual(ids, ALL);
    assert.deepEqual([retries.length, retries[0]?.code], [1, 'HTTP_403']);
    assert.match(retries[0]?.reason ?? '', /^403 Forbidden \(a rate limit\): \{"message":"API rate limit exceeded"\}/);
    assert.ok((retries[0]?.delayMs ?? 0) >= 900 && (retries[0]?.delayMs ?? 0) <= 2_000, `${retries[0]?.delayMs} ms`);
  });

  it('a 403 with Retry-After (a secondary rate limit) and a 429 with only RateLimit-Reset seconds are retried', async () => {
    const server = await serve({
      2: { kind: 'status', status: 403, headers: { 'retry-after': '0' } },
      4: { kind: 'status', status: 429, headers: { 'ratelimit-reset': '1' } },
    });
    const { ids, retries } = await read({ url: server.url });
    assert.deepEqual(ids, ALL);
    assert.deepEqual(
      retries.map((r) => [r.code, r.delayMs]),
      [
        ['HTTP_403', 0],
        ['HTTP_429', 1_000],
      ],
    );
  });

  it('a Retry-After of 10^20 seconds waits no more than 5 minutes', async () => {
    const server = await serve(() => ({
      kind: 'status',
      status: 503,
      headers: { 'retry-after': '1'.padEnd(21, '0') },
    }));
    const controller = new AbortController();
    const delays: number[] = [];
    const source = httpSource({
      url: server.url,
      signal: controller.signal,
      onRetry: (r) => {
        delays.push(r.delayMs);
        controller.abort(new Error('seen'));
      },
    });
    await assert.rejects(source.records()[Symbol.asyncIterator]().next(), { message: 'seen' });
    assert.deepEqual(delays, [5 * 60_000]);
  });
});

describe('retries used up: RetryableError naming the URL, the last fault and the attempts', () => {
  const cases: [string, Fault, string, RegExp, number | undefined][] = [
    ['503', status(503), 'HTTP_503', /last with 503 Service Unavailable: \{"error":"Service Unavailable"\}/, 503],
    ['429 without Retry-After', status(429), 'HTTP_429', /last with 429 Too Many Requests/, 429],
    [
      'reset',
      { kind: 'reset' },
      'HTTP_NETWORK',
      /last with a network error \(fetch failed: UND_ERR_SOCKET other side closed\)/,
      undefined,
    ],
    [
      'timeout',
      { kind: 'slow', delayMs: 2_000 },
      'HTTP_TIMEOUT',
      /last with no complete answer within 250 ms/,
      undefined,
    ],
    ['bad JSON', { kind: 'bad-json' }, 'HTTP_INVALID_JSON', /last with 200 OK whose body is not JSON/, 200],
  ];
  for (const [name, fault, code, message, lastStatus] of cases) {
    it(name, async () => {
      const server = await serve(() => fault);
      await assert.rejects(read({ url: `${server.url}?per_page=5`, maxRetries: 2, timeoutMs: 250 }), (error) => {
        assert.ok(error instanceof RetryableError);
        assert.deepEqual(
          {
            code: error.code,
            status: (error as { status?: number }).status,
            attempts: (error as { attempts?: number }).attempts,
          },
          { code, status: lastStatus, attempts: 3 },
        );
        const prefix = `GET ${server.url}?per_page=5 failed 3 times, `;
        assert.equal(error.message.slice(0, prefix.length), prefix);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(server.requests.length, 3);
    });
  }
});

it('maxRetries: 0 makes one attempt', async () => {
  const server = await serve(() => status(500));
  await assert.rejects(read({ url: server.url, maxRetries: 0 }), { code: 'HTTP_500', attempts: 1 });
  assert.equal(server.requests.length, 1);
});

describe('4xx: PermanentError at once, with status and body excerpt, and no secret', () => {
  const SECRET = 'sk_live_4f9a8b7c6d5e';

  it('401: the echoed Authorization token appears nowhere', async () => {
    const server = await serve({}, 'the-right-token');
    const url = server.url.replace('http://', 'http://alice:hunter2-password@');
    const error = await read({ url, headers: { Authorization: `Bearer ${SECRET}` } }).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PermanentError);
    assert.deepEqual(
      { code: error.code, status: (error as { status?: number }).status },
      { code: 'HTTP_401', status: 401 },
    );
    assert.equal(
      error.message,
      `GET ${server.url} answered 401 Unauthorized: {"error":"invalid token","received":"[redacted]"}; check the credentials (token, API key, password)`,
    );
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
    for (const secret of [SECRET, 'hunter2', 'alice']) assert.ok(!everything.includes(secret), secret);
    assert.equal(server.requests.length, 1);
  });

  it('401 for credentials in the URL: neither they nor their Basic form appear', async () => {
    const server = await serve({}, 'the-right-token');
    const url = server.url.replace('http://', 'http://bob:s3cret-pw@');
    await assert.rejects(read({ url }), (error) => {
      assert.ok(error instanceof PermanentError);
      assert.equal(
        error.message,
        `GET ${server.url} answered 401 Unauthorized: {"error":"invalid token","received":"[redacted]"}; check the credentials (token, API key, password)`,
      );
      return true;
    });
    assert.equal(server.requests[0]?.headers.authorization, `Basic ${Buffer.from('bob:s3cret-pw').toString('base64')}`);
  });

  const cases: [string, FaultPlan, string, RegExp][] = [
    [
      '404 on an unknown path',
      {},
      'HTTP_404',
      /^GET http:\/\/127\.0\.0\.1:\d+\/nope answered 404 Not Found: \{"error":"no such path \/nope"\}; check the URL/,
    ],
    ['422', at(status(422), 1), 'HTTP_422', /answered 422 Unprocessable Entity: \{"error":"Unprocessable Entity"\}$/],
    ['403 after a 503', { 1: status(503), 2: status(403) }, 'HTTP_403', /answered 403 Forbidden/],
    [
      'a long body, cut to 200 chars',
      at({ kind: 'status', status: 400, body: `${'x'.repeat(300)} ${SECRET}` }, 1),
      'HTTP_400',
      /: x{200}…$/,
    ],
    [
      'an empty body',
      at({ kind: 'status', status: 410, body: '' }, 1),
      'HTTP_410',
      /answered 410 Gone: \(empty body\)$/,
    ],
  ];
  for (const [name, plan, code, message] of cases) {
    it(name, async () => {
      const server = await serve(plan);
      const url = name.startsWith('404') ? `${server.origin}/nope` : server.url;
      await assert.rejects(read({ url, headers: { 'X-Api-Key': SECRET } }), (error) => {
        assert.ok(error instanceof PermanentError);
        assert.equal(error.code, code);
        assert.match(error.message, message);
        assert.ok(!error.message.includes(SECRET));
        return true;
      });
    });
  }
});

describe('abort stops promptly and throws signal.reason', () => {
  it('during a request', async () => {
    const controller = new AbortController();
    const reason = new Error('operator said stop');
    // The answer would take 10 s: the abort comes as soon as the server has the request.
    const server = await serve(() => {
      setImmediate(() => controller.abort(reason));
      return { kind: 'slow', delayMs: 10_000 };
    });
    const started = performance.now();
    await assert.rejects(read({ url: server.url, signal: controller.signal }), (error) => error === reason);
    assert.ok(performance.now() - started < 1_000);
  });

  it('during a backoff sleep', async () => {
    const controller = new AbortController();
    const reason = new Error('operator said stop');
    const server = await serve({ 1: { kind: 'retry-after', seconds: 60, as: 'seconds' } });
    // The retry would wait 60 s: the abort comes on the turn after the wait began.
    const onRetry = () => void setImmediate(() => controller.abort(reason));
    const started = performance.now();
    const reading = Array.fromAsync(httpSource({ url: server.url, signal: controller.signal, onRetry }).records());
    await assert.rejects(reading, (error) => error === reason);
    assert.ok(performance.now() - started < 1_000);
    assert.equal(server.requests.length, 1);
  });

  it('by the consumer mid-page: no further record, no further request', async () => {
    const server = await serve({});
    const controller = new AbortController();
    const reason = new Error('enough');
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const item of httpSource({ url: server.url, signal: controller.signal }).records()) {
        seen.push(item);
        if (seen.length === 4) controller.abort(reason);
      }
    })();
    await assert.rejects(reading, (error) => error === reason);
    assert.deepEqual([seen.length, server.requests.length], [4, 1]);
  });

  it('already aborted: no request at all', async () => {
    const server = await serve({});
    const reason = new Error('too late');
    await assert.rejects(read({ url: server.url, signal: AbortSignal.abort(reason) }), (error) => error === reason);
    assert.equal(server.requests.length, 0);
  });
});
