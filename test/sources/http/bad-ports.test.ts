// Node's fetch refuses the Fetch standard's "bad ports" (6000, 6665–6669, 10080…) before sending
// anything, with a TypeError that read as a network error: an API on such a port was retried
// until the retries ran out and the run exited 75, "run again later", for ever.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ConfigError, PermanentError } from '../../../src/errors/errors.ts';
import { httpSource } from '../../../src/sources/http/index.ts';
import { refusedPort } from '../../../src/sources/http/bad-ports.ts';
import { readAll } from './read-all.ts';

async function refusal(port: number): Promise<string | undefined> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return undefined;
  } catch (error) {
    return (error as { cause?: { message?: string } }).cause?.message;
  }
}

/** A server whose answers `answer` writes; counts the requests. */
async function serve(answer: (url: string, res: ServerResponse, base: string) => void) {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    answer(req.url ?? '/', res, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`, requests: () => requests };
}

describe('ports fetch refuses', () => {
  it("ferry's list is the one this Node's fetch refuses", async () => {
    const listed = [1, 22, 2049, 5060, 6000, 6566, 6665, 6669, 6697, 10080];
    const unlisted = [2, 80, 443, 2050, 3000, 5000, 6001, 6670, 8080, 10081];
    for (const port of listed) {
      assert.equal(refusedPort(new URL(`http://h:${port}/`)), port);
      assert.equal(await refusal(port), 'bad port', `fetch refuses ${port}`);
    }
    for (const port of unlisted) {
      assert.equal(refusedPort(new URL(`http://h:${port}/`)), undefined);
      assert.notEqual(await refusal(port), 'bad port', `fetch connects to ${port}`);
    }
    assert.equal(refusedPort(new URL('https://h/')), undefined, 'the default ports are fine');
  });

  it('a url on one: ConfigError HTTP_BAD_PORT at once, saying what to do', () => {
    assert.throws(
      () => httpSource({ url: 'http://user:hunter2@127.0.0.1:6666/items' }),
      (error) =>
        error instanceof ConfigError &&
        error.code === 'HTTP_BAD_PORT' &&
        /port 6666 .*another port, or put a reverse proxy before it/.test(error.message) &&
        !error.message.includes('hunter2'),
    );
  });

  it('a Link header, a body link or a redirect to one: PermanentError HTTP_BAD_PORT, not retried', async () => {
    const answers: [string, (url: string, res: ServerResponse) => void][] = [
      [
        'Link',
        (_url, res) =>
          res
            .writeHead(200, {
              'content-type': 'application/json',
              link: '<http://127.0.0.1:10080/items?page=2>; rel="next"',
            })
            .end('[{"id":1}]'),
      ],
      [
        'body link',
        (_url, res) =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"data":[{"id":1}],"next":"http://127.0.0.1:6000/items?page=2"}'),
      ],
      ['redirect', (_url, res) => res.writeHead(302, { location: 'http://127.0.0.1:6667/items' }).end()],
    ];
    for (const [what, answer] of answers) {
      const api = await serve(answer);
      await assert.rejects(
        readAll({ url: api.url, ...(what === 'body link' ? { recordsField: 'data' } : {}) }),
        (error) =>
          error instanceof PermanentError &&
          error.code === 'HTTP_BAD_PORT' &&
          /port (10080|6000|6667) /.test(error.message),
        what,
      );
      assert.equal(api.requests(), 1, `${what}: no retry`);
    }
  });
});
