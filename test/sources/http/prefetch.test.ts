// The next page travels while the job stores this one: one request at a time, none left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter, on, once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, it } from 'node:test';
import { PermanentError, RetryableError } from '../../../src/errors/errors.ts';
import { httpSource } from '../../../src/sources/http/index.ts';

const PAGES = 4;
const PER_PAGE = 3;

/** Pages 1..4 of 3 records each behind Link headers; each answer after `delayMs(page)`; 404 for `missing`. */
async function pagedServer(delayMs: (page: number) => number, missing?: number) {
  const log = { requests: [] as number[], inFlight: 0, maxInFlight: 0, abandoned: 0, changes: new EventEmitter() };
  const server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    log.requests.push(page);
    log.maxInFlight = Math.max(log.maxInFlight, ++log.inFlight);
    log.changes.emit('change');
    res.on('close', () => {
      log.inFlight--;
      if (!res.writableFinished) log.abandoned++;
      log.changes.emit('change');
    });
    const answer = setTimeout(() => {
      if (res.destroyed) return;
      if (page === missing)
        return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"gone"}');
      const records = Array.from({ length: PER_PAGE }, (_, i) => ({ id: (page - 1) * PER_PAGE + i + 1 }));
      const link = page < PAGES ? { link: `</items?page=${page + 1}>; rel="next"` } : {};
      res.writeHead(200, { 'content-type': 'application/json', ...link }).end(JSON.stringify(records));
    }, delayMs(page));
    res.on('close', () => clearTimeout(answer));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`, log };
}

/** Whether `condition` comes to hold, checked each time the server's log changes, within `ms`. */
async function until(log: { changes: EventEmitter }, condition: () => boolean, ms: number): Promise<boolean> {
  if (condition()) return true;
  try {
    for await (const _ of on(log.changes, 'change', { signal: AbortSignal.timeout(ms) })) if (condition()) return true;
  } catch {
    // the time is up
  }
  return condition();
}

it('while the job holds page 1, page 2 is already on its way', async () => {
  const { url, log } = await pagedServer(() => 0);
  const pages = httpSource({ url }).pages()[Symbol.asyncIterator]();
  const first = await pages.next();
  assert.equal(first.value?.number, 1);
  assert.ok(
    await until(log, () => log.requests.length === 2, 2000),
    `requests while page 1 is held: ${log.requests.join(',')}`,
  );
  assert.deepEqual(log.requests, [1, 2], 'one page ahead, no more');
  await pages.return?.(undefined);
});

/** The same pages served by another process, which notes when each request arrives (Date.now()). */
async function serverProcess() {
  const code = `
    const arrived = [];
    const server = require('node:http').createServer((req, res) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? '1');
      if (page === 0) return void res.end(JSON.stringify(arrived));
      arrived.push([page, Date.now()]);
      const link = page < ${PAGES} ? { link: '</items?page=' + (page + 1) + '>; rel="next"' } : {};
      res.writeHead(200, { 'content-type': 'application/json', ...link }).end(JSON.stringify([{ id: page }]));
    }).listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  after(() => child.kill());
  const [port] = (await once(child.stdout, 'data')) as [Buffer];
  const base = `http://127.0.0.1:${port.toString().trim()}`;
  return {
    url: `${base}/items`,
    arrivals: async () => new Map((await (await fetch(`${base}/items?page=0`)).json()) as [number, number][]),
  };
}

it('the next page is on its way even while the job stores this one without yielding', async () => {
  const { url, arrivals } = await serverProcess();
  const busyEnded = new Map<number, number>();
  for await (const page of httpSource({ url }).pages()) {
    if (page.number === PAGES) continue;
    const end = Date.now() + 300;
    while (Date.now() < end); // node:sqlite writes are synchronous like this
    busyEnded.set(page.number, Date.now());
  }
  const arrived = await arrivals();
  for (const [page, ended] of busyEnded) {
    const next = arrived.get(page + 1);
    assert.ok(
      next !== undefined && next < ended,
      `page ${page + 1} arrived at ${next}, the work on page ${page} ended at ${ended}`,
    );
  }
  assert.equal(busyEnded.size, PAGES - 1);
});

it('reads every page once and in order, never two requests at a time', async () => {
  const { url, log } = await pagedServer(() => 20);
  const ids: number[] = [];
  for await (const page of httpSource({ url }).pages()) {
    await delay(30); // the job's own work on the page, longer than the server's answer
    ids.push(...page.records.map((r) => (r as { id: number }).id));
  }
  assert.deepEqual(
    ids,
    Array.from({ length: PAGES * PER_PAGE }, (_, i) => i + 1),
  );
  assert.deepEqual(log.requests, [1, 2, 3, 4]);
  assert.equal(log.maxInFlight, 1);
});

it('a job that stops early leaves no request behind it', async () => {
  const { url, log } = await pagedServer((page) => (page === 2 ? 10_000 : 0));
  const started = Date.now();
  for await (const page of httpSource({ url }).pages()) {
    assert.equal(page.number, 1);
    assert.ok(await until(log, () => log.requests.length === 2, 2000), 'page 2 was requested');
    break;
  }
  assert.ok(
    await until(log, () => log.abandoned === 1 && log.inFlight === 0, 2000),
    `page 2's request is dropped (abandoned ${log.abandoned}, in flight ${log.inFlight})`,
  );
  assert.ok(Date.now() - started < 5000, 'the break did not wait for the slow page');
});

it('a job that blocks longer than the timeout on each page does not time out the page it delayed', async () => {
  const { url, log } = await pagedServer(() => 0);
  const retries: string[] = [];
  const numbers: number[] = [];
  for await (const page of httpSource({
    url,
    timeoutMs: 200,
    maxRetries: 0,
    onRetry: (r) => retries.push(r.code),
  }).pages()) {
    const end = Date.now() + 400;
    while (Date.now() < end); // synchronous writes, longer than the timeout
    numbers.push(page.number);
  }
  assert.deepEqual(numbers, [1, 2, 3, 4]);
  assert.deepEqual(log.requests, [1, 2, 3, 4]);
  assert.deepEqual(retries, []);
});

it('a prefetched page that never comes times out once the job asks for it', async () => {
  const { url } = await pagedServer((page) => (page === 2 ? 60_000 : 0));
  let asked = 0;
  await assert.rejects(
    (async () => {
      for await (const page of httpSource({ url, timeoutMs: 300, maxRetries: 0 }).pages()) {
        await delay(600); // longer than the timeout: page 2 must not fail before it is asked for
        assert.equal(page.number, 1);
        asked = Date.now();
      }
    })(),
    (error: unknown) => error instanceof RetryableError && /no complete answer within 300 ms/.test(error.message),
  );
  const waited = Date.now() - asked;
  assert.ok(waited >= 250 && waited < 5000, `timed out ${waited} ms after the job asked`);
});

it('a page that fails while the job holds the one before fails only when asked for', async () => {
  const { url, log } = await pagedServer(() => 0, 3);
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const page of httpSource({ url }).pages()) {
        if (page.number === 2)
          assert.ok(await until(log, () => log.requests.length === 3, 2000), 'page 3 was requested');
        seen.push(page.number);
      }
    })(),
    (error: unknown) => error instanceof PermanentError && /404/.test(error.message),
  );
  assert.deepEqual(seen, [1, 2], 'every page before the failing one reached the job');
});
