// A PostgreSQL server as a job sees it through TLS: a proxy on 127.0.0.1 in front of the real test
// server that answers the client's TLS request itself, with yes (then TLS with the certificate in
// test/fixtures/tls, valid for 127.0.0.1 until 2126, signed by itself) or no (then plain text),
// and passes the session through to the real server in plain text.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { ROOT } from './spawn.ts';

export const TLS_FIXTURES = path.join(ROOT, 'test/fixtures/tls');
const SSL_REQUEST = 80877103;

export interface TlsProxy extends AsyncDisposable {
  port: number;
  /** TLS sessions the proxy has set up (handshake done). */
  readonly handshakes: number;
}

export async function startTlsProxy(upstream: URL, answer: 'tls' | 'refuse'): Promise<TlsProxy> {
  const cert = readFileSync(path.join(TLS_FIXTURES, 'server.crt'));
  const key = readFileSync(path.join(TLS_FIXTURES, 'server.key'));
  const sockets = new Set<net.Socket>();
  let handshakes = 0;
  const pass = (client: net.Socket | tls.TLSSocket, first?: Buffer) => {
    const server = net.connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(server);
    if (first) server.write(first);
    client.pipe(server).pipe(client);
    const end = () => (client.destroy(), server.destroy());
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  };
  const proxy = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (first) => {
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST) return pass(socket, first);
      if (answer === 'refuse') {
        socket.write('N');
        return pass(socket);
      }
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, cert, key });
      secure.on('secure', () => handshakes++);
      secure.on('error', () => socket.destroy());
      pass(secure);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    get handshakes() {
      return handshakes;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}
