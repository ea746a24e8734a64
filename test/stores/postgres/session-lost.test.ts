// A session that dies under a statement: whatever the statement was waiting for, it settles with a
// retryable PG_CONNECTION error. Between the store and the real server sits a TCP proxy on 127.0.0.1
// that can stop passing bytes and cut the connection, as a dead server or network does.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError } from 'ferry';
import { Connection } from '../../../src/stores/postgres/connection.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from './test-database.ts';

/**
 * Forwards to the test server. `stall` stops passing the client's bytes on: it takes the first
 * chunk that comes (the operation's), then stops reading, as a dead server does; it resolves once
 * that chunk has come. `cut` resets every connection.
 */
async function proxy(): Promise<{ url: string; stall(): Promise<void>; cut(): void; close(): Promise<void> }> {
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const stallOne = (client: net.Socket) =>
    new Promise<void>((resolve) => {
      client.unpipe();
      client.once('data', () => {
        client.pause(); // held, not passed on; and nothing more is read
        resolve();
      });
      client.resume(); // unpipe paused it: read until that chunk
    });
  return {
    url: url.href,
    stall: () => Promise.any([...clients].map(stallOne)),
    cut: () => sockets.forEach((s) => s.resetAndDestroy()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The operation's error, or a failure when it has not settled in time (it would never have). */
async function failureOf(operation: Promise<unknown>): Promise<unknown> {
  const timeout = sleep(10_000).then(() => 'still pending after 10 s');
  const outcome = await Promise.race([
    operation.then(
      () => 'succeeded',
      (error: unknown) => error,
    ),
    timeout,
  ]);
  assert.ok(outcome instanceof Error, `the operation ${String(outcome)}`);
  return outcome;
}

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('a PostgreSQL session lost under a statement', () => {
    const proxies: Awaited<ReturnType<typeof proxy>>[] = [];
    after(() => Promise.all(proxies.map((p) => p.close())));
    const connected = async () => {
      const p = await proxy();
      proxies.push(p);
      const conn = await Connection.open(p.url, 'connecting');
      await conn.query('starting', 'CREATE TEMP TABLE staged (v TEXT)');
      return { p, conn };
    };

    const cases: [string, (conn: Connection) => Promise<unknown>][] = [
      [
        'a COPY waiting to send its rows',
        (conn) => conn.copyIn('writing a batch', 'COPY staged FROM STDIN', 'row\n'.repeat(4_000_000)),
      ],
      [
        'a COPY waiting for the server to confirm it',
        (conn) => conn.copyIn('writing a batch', 'COPY staged FROM STDIN', 'row\n'),
      ],
      ['a query waiting for its answer', (conn) => conn.query('writing a batch', 'SELECT count(*) FROM staged')],
    ];
    for (const [what, operation] of cases) {
      it(`${what}: the connection cut settles it, retryable (PG_CONNECTION), and the next query fails the same way at once`, async () => {
        const { p, conn } = await connected();
        const stalled = p.stall(); // nothing passes now: the operation waits, as on a server that went away without a word
        const pending = operation(conn);
        await stalled; // its first bytes have come, and gone no further
        p.cut();
        const error = await failureOf(pending);
        assert.ok(error instanceof RetryableError, String(error));
        assert.equal(error.code, 'PG_CONNECTION');
        assert.match(error.message, /^PostgreSQL writing a batch: .*run again/);
        const next = await failureOf(conn.query('recording the result', 'SELECT 1'));
        assert.equal((next as RetryableError).code, 'PG_CONNECTION');
        await conn.close();
      });
    }
  });
