// Bodies that reading again cannot fix fail at once with a PermanentError; a body cut off on the
// way stays a retryable fault.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PermanentError, RetryableError } from '../../../src/errors/errors.ts';
import type { HttpSourceOptions } from '../../../src/sources/http/index.ts';
import { startFaultServer, type FaultPlan } from '../../helpers/fault-server.ts';
import { readAll as read } from './read-all.ts';

const MiB = 1024 * 1024;

async function serve(faults: FaultPlan) {
  const server = await startFaultServer({ records: 3, faults });
  after(() => server.close());
  return server;
}

/** The PermanentError that reading the source ends with. */
async function permanentError(options: HttpSourceOptions): Promise<PermanentError> {
  const error = await read(options).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PermanentError, String(error));
  return error;
}

const ok =
  (body: string | Buffer, headers: Record<string, string> = {}): FaultPlan =>
  () => ({ kind: 'status', status: 200, body, headers });

describe('a body past maxBodyBytes fails with HTTP_BODY_TOO_LARGE, without reading the rest', () => {
  it('1 GiB, streamed, against a limit of 1 MiB: one request, stopped long before its end', async () => {
    const server = await serve(() => ({ kind: 'huge', bytes: 1024 * MiB }));
    const started = performance.now();
    const error = await permanentError({ url: server.url, maxBodyBytes: MiB });
    assert.equal(error.code, 'HTTP_BODY_TOO_LARGE');
    assert.equal(
      error.message,
      `GET ${server.url} answered 200 OK with a body over the limit of 1 MiB (1048576 bytes), so the rest was not read; ` +
        'ask for smaller pages (a page-size parameter), or raise maxBodyBytes if pages this large are expected',
    );
    assert.equal(server.requests.length, 1);
    const sent = server.requests[0]?.bytesSent ?? Infinity;
    assert.ok(sent < 64 * MiB, `the server wrote ${sent} bytes`);
    assert.ok(performance.now() - started < 5_000);
  });

  it('the default limit is 64 MiB', async () => {
    const server = await serve(() => ({ kind: 'huge', bytes: 80 * MiB }));
    const error = await permanentError({ url: server.url });
    assert.match(error.message, /over the limit of 64 MiB \(67108864 bytes\)/);
  });

  const body = '[{"id":1}]';
  const cases: [string, number, boolean][] = [
    ['a body exactly at the limit is read', body.length, true],
    ['one byte over fails', body.length - 1, false],
  ];
  for (const [name, maxBodyBytes, passes] of cases) {
    it(name, async () => {
      const server = await serve(ok(body));
      if (passes) assert.deepEqual((await read({ url: server.url, maxBodyBytes })).records, [{ id: 1 }]);
      else assert.equal((await permanentError({ url: server.url, maxBodyBytes })).code, 'HTTP_BODY_TOO_LARGE');
    });
  }

  it('the limit is for records: a large 503 is retried as a 503, its excerpt from the start of its body', async () => {
    const server = await serve({ 1: { kind: 'status', status: 503, body: `busy ${'x'.repeat(200_000)}` } });
    const { records, retries } = await read({ url: server.url, maxBodyBytes: 1000 });
    assert.equal(records.length, 3);
    assert.deepEqual(
      retries.map((r) => r.code),
      ['HTTP_503'],
    );
    assert.match(retries[0]?.reason ?? '', /^503 Service Unavailable: busy x{195}…$/);
  });
});

describe('a body that is not UTF-8 fails with HTTP_INVALID_UTF8 naming the byte, instead of storing U+FFFD', () => {
  const prefix = '[{"id":1,"name":"caf'; // 20 bytes: the bad character is at byte 20
  const cases: [string, number[], string][] = [
    ['Latin-1 é', [0xe9], '0xe9'],
    ['a byte never in UTF-8', [0xff], '0xff'],
    ['an overlong encoding of /', [0xc0, 0xaf], '0xc0'],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], '0xed'],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '0xf4'],
    ['a character missing its last byte', [0xe2, 0x82], '0xe2 0x82'],
  ];
  for (const [name, bad, shown] of cases) {
    it(name, async () => {
      const body = Buffer.concat([Buffer.from(prefix), Buffer.from(bad), Buffer.from('"}]')]);
      const server = await serve(ok(body, { 'content-type': 'application/json; charset=utf-8' }));
      const error = await permanentError({ url: server.url });
      assert.equal(error.code, 'HTTP_INVALID_UTF8');
      assert.equal(
        error.message,
        `GET ${server.url} answered 200 OK (application/json; charset=utf-8) with a body that is not UTF-8 at byte 20 of ${body.length} (${shown}); ` +
          'JSON must be UTF-8 (RFC 8259): the API likely sends Latin-1 or Windows-1252 text, which its owner should fix',
      );
      assert.equal(server.requests.length, 1);
    });
  }

  it('a UTF-8 BOM at the start is fine', async () => {
    const server = await serve(
      ok(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"id":1,"name":"café ☕ 𝄞"}]')])),
    );
    assert.deepEqual((await read({ url: server.url })).records, [{ id: 1, name: 'café ☕ 𝄞' }]);
  });

  it('a body cut off inside a character is a retryable fault, read again', async () => {
    const cut = Buffer.concat([Buffer.from(prefix), Buffer.from([0xc3])]);
    const server = await serve({ 1: { kind: 'status', status: 200, body: cut } });
    const { records, retries } = await read({ url: server.url });
    assert.equal(records.length, 3);
    assert.deepEqual(
      retries.map((r) => r.code),
      ['HTTP_INVALID_JSON'],
    );
  });
});

describe('a 2xx labelled as something other than JSON fails at once with HTTP_NOT_JSON, saying what came', () => {
  const SECRET = 'sk_live_4f9a8b7c6d5e';
  const login =
    '<!doctype html><html><head>\n<title>\n  Sign in · Acme\n</title></head><body><form>…</form></body></html>';
  const hint = '; check the URL (a web page instead of the API?) and the credentials (a login page?)';
  const cases: [string, string | Buffer, string, string][] = [
    ['an HTML login page: its title', login, 'text/html; charset=utf-8', 'a page titled "Sign in · Acme"'],
    ['plain text: its start', 'Not Found', 'text/plain', 'Not Found'],
    [
      'an echoed credential is redacted',
      `<title>Welcome back, ${SECRET}</title>`,
      'text/html',
      'a page titled "Welcome back, [redacted]"',
    ],
    [
      'HTML in Windows-1252 is not JSON either',
      Buffer.from('<title>Caf\xe9</title>', 'latin1'),
      'text/html; charset=windows-1252',
      'a page titled "Caf\ufffd"',
    ],
    ['NDJSON is not one JSON document', '{"id":1}\n{"id":2}\n', 'application/x-ndjson', '{"id":1} {"id":2}'],
    ['an empty body', '', 'text/html', '(empty body)'],
  ];
  for (const [name, body, type, seen] of cases) {
    it(name, async () => {
      const server = await serve(ok(body, { 'content-type': type }));
      const error = await permanentError({ url: server.url, headers: { authorization: `Bearer ${SECRET}` } });
      assert.equal(error.code, 'HTTP_NOT_JSON');
      assert.equal(error.message, `GET ${server.url} answered 200 OK with ${type}, not JSON: ${seen}${hint}`);
      assert.equal(server.requests.length, 1);
    });
  }

  // Markup never becomes JSON by asking again, whatever its label: it was retried, then 75.
  const markup: [string, string, string][] = [
    ['a login page labelled application/json', 'application/json', 'application/json'],
    ['a captive portal without a Content-Type', '', 'no Content-Type'],
  ];
  for (const [name, type, said] of markup) {
    it(`${name}: HTTP_NOT_JSON at once`, async () => {
      const server = await serve(ok(`\n  ${login}`, { 'content-type': type }));
      const error = await permanentError({ url: server.url });
      assert.equal(error.code, 'HTTP_NOT_JSON');
      assert.equal(
        error.message,
        `GET ${server.url} answered 200 OK with ${said}, not JSON: a page titled "Sign in · Acme"${hint}`,
      );
      assert.equal(server.requests.length, 1);
    });
  }

  it('"<title " a million times: its excerpt at once (the title search was quadratic: hours of CPU, no timeout)', async () => {
    const server = await serve(ok('<title '.repeat(1_000_000), { 'content-type': 'text/html' }));
    const started = performance.now();
    const error = await permanentError({ url: server.url });
    assert.equal(error.code, 'HTTP_NOT_JSON');
    assert.match(error.message, /not JSON: <title <title <title/);
    assert.ok(performance.now() - started < 5_000, `${Math.round(performance.now() - started)} ms`);
  });

  // A JSON body cut off or garbled on the way (a proxy truncating) may come whole next time.
  const retried: [string, string][] = [
    ['application/problem+json', 'application/problem+json'],
    ['text/json', 'text/json; charset=utf-8'],
    ['an empty Content-Type', ''],
  ];
  for (const [name, type] of retried) {
    it(`half a JSON body labelled ${name} is still retried`, async () => {
      const server = await serve({
        1: { kind: 'status', status: 200, body: '[{"id":1},{"id"', headers: { 'content-type': type } },
      });
      const { ids, retries } = await read({ url: server.url });
      assert.deepEqual([ids, retries.map((r) => r.code)], [[1, 2, 3], ['HTTP_INVALID_JSON']]);
    });
  }
});

describe('answers that say the same each time they are asked', () => {
  it('a 204 No Content is a page without records: after two full pages it ends the read (it was retried, then 75)', async () => {
    const server = await startFaultServer({
      records: 20,
      pagination: 'page',
      faults: (request) => (request.query.page === '3' ? { kind: 'status', status: 204, body: '' } : undefined),
    });
    after(() => server.close());
    const { ids, retries } = await read({
      url: server.url,
      pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', size: 10 },
    });
    assert.deepEqual([ids, retries], [Array.from({ length: 20 }, (_, i) => i + 1), []]);
    assert.equal(server.requests.length, 3);
  });

  it('JSON nested 100,000 deep beside a number past 2^53 fails at once: the exact parse has no stack for it', async () => {
    const deep = `[{"id":12345678901234567890,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`;
    const server = await serve(ok(deep));
    const error = await permanentError({ url: server.url });
    assert.equal(error.code, 'HTTP_BODY_TOO_DEEP');
    assert.match(
      error.message,
      /answered 200 OK with JSON that could not be read \(.+\): its values are nested too deep/,
    );
    assert.equal(server.requests.length, 1);
  });
});

it('a body labelled gzip that is not: HTTP_BAD_ENCODING, retried (it read as a network error)', async () => {
  const server = await serve(ok('[{"id":1}]', { 'content-encoding': 'gzip' }));
  await assert.rejects(read({ url: server.url, maxRetries: 1 }), (error) => {
    assert.ok(error instanceof RetryableError);
    assert.equal(error.code, 'HTTP_BAD_ENCODING');
    assert.match(
      error.message,
      /failed 2 times, last with a body that does not decode as its Content-Encoding \(gzip\) says \(Z_DATA_ERROR /,
    );
    return true;
  });
});
