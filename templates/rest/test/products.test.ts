import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { verifyJob } from 'ferry/testing';

const products = JSON.parse(await readFile(new URL('fixtures/products.json', import.meta.url), 'utf8')) as unknown[];

/** The fixture as a paged API on 127.0.0.1: ?page=1&per_page=2, with X-Total-Count. */
function servePages(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const page = Number(url.searchParams.get('page') ?? 1);
    const size = Number(url.searchParams.get('per_page') ?? 100);
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-total-count', String(products.length));
    res.end(JSON.stringify(products.slice((page - 1) * size, page * size)));
  });
}

let server: Server;
let apiUrl: string;
before(async () => {
  server = servePages();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/products`;
});
after(() => server.close());

it('is safe to retry: reruns, kills at random instants and SIGTERM all end with the same table', async () => {
  const lines: string[] = [];
  const report = await verifyJob({
    target: 'jobs/products.ts',
    args: ['--api-url', apiUrl, '--page-size', '2'],
    trials: 4,
    onProgress: (l) => lines.push(l),
  });
  assert.ok(report.ok, lines.join('\n'));
  assert.match(report.checks[0]?.detail ?? '', /products: 5 rows/);
});

it('.env.example is what the job generates (npm run env-example)', async () => {
  const generated = execFileSync(process.execPath, ['jobs/products.ts', 'env-example'], { encoding: 'utf8' });
  assert.equal(await readFile('.env.example', 'utf8'), generated);
});
