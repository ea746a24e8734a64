import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startDemoApi } from '../../examples/demo-api/demo-api.ts';
import { startFaultServer, type Fault } from '../helpers/fault-server.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { runExample } from '../helpers/example-job.ts';
import { leaksOf, phpJson } from '../helpers/secret-encodings.ts';
import type { Finished } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

const freshDb = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-')), 'rest.db');
const importFrom = (url: string, db: string, args: string[] = [], env: Record<string, string> = {}) =>
  runExample('rest-import', ['--api-url', url, '--db-path', db, ...args], { env, timeoutMs: 60_000 });
const items = (db: string) => tableRows(db, 'items', 'id');

function result(finished: Finished) {
  const last = parseEventLines(finished.stdout).at(-1);
  assert.ok(last?.type === 'result', finished.stderr);
  return last;
}

describe('rest-import against a server that injects faults', () => {
  const faults: [string, (n: number) => Fault | undefined][] = [
    [
      'a burst of 500, 502, 503',
      (n) =>
        ({
          2: { kind: 'status', status: 500 },
          3: { kind: 'status', status: 502 },
          4: { kind: 'status', status: 503 },
        })[n] as Fault | undefined,
    ],
    ['429 with Retry-After', (n) => (n === 2 ? { kind: 'retry-after', seconds: 1, as: 'seconds' } : undefined)],
    ['a response slower than the timeout', (n) => (n === 3 ? { kind: 'slow', delayMs: 3000 } : undefined)],
    ['a connection reset', (n) => (n === 2 || n === 5 ? { kind: 'reset' } : undefined)],
    ['truncated JSON', (n) => (n === 3 ? { kind: 'truncate' } : n === 4 ? { kind: 'bad-json' } : undefined)],
    ['503 on every request', () => ({ kind: 'status', status: 503 })],
  ];

  for (const [name, plan] of faults) {
    it(`${name}: the same table as a fault-free run, or exit 75 and the rerun gets it`, async () => {
      await using server = await startFaultServer({ records: 45, pageSize: 10 });
      const reference = await freshDb();
      assert.equal((await importFrom(server.url, reference)).code, 0);
      const db = await freshDb();
      const before = server.requests.length;
      server.faults = (request) => plan(request.n - before);
      const faulty = await importFrom(server.url, db, ['--timeout', '1s', '--max-retries', '3']);
      assert.ok(
        server.requests.slice(before).some((r) => r.fault !== undefined),
        'faults were injected',
      );
      if (faulty.code === 75) {
        assert.equal(result(faulty).error?.retryable, true);
        server.faults = {};
        assert.equal((await importFrom(server.url, db)).code, 0);
      } else {
        assert.equal(faulty.code, 0, faulty.stderr);
      }
      assert.deepEqual(items(db), items(reference));
      assert.equal(items(db).length, 45);
    });
  }

  it('a rejected token: exit 65, and the token is in no output', async () => {
    await using server = await startFaultServer({ records: 5, token: 'right-token' });
    const finished = await importFrom(server.url, await freshDb(), [], { API_KEY: 'wrong-token-S3CR3T' });
    assert.equal(finished.code, 65);
    assert.equal(result(finished).error?.code, 'HTTP_401');
    assert.ok(!finished.stdout.includes('S3CR3T') && !finished.stderr.includes('S3CR3T'));
    const ok = await importFrom(server.url, await freshDb(), ['--api-key', 'right-token']);
    assert.equal(ok.code, 0);
  });
});

describe('rest-import, incremental', () => {
  const incremental = ['--cursor-field', 'updatedAt', '--page-size-param', 'limit', '--page-size', '20'];
  const asServed = (api: Awaited<ReturnType<typeof startDemoApi>>) =>
    [...api.records.values()]
      .map((r) => ({ id: r.id, data: JSON.stringify(r) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));

  it('the next run imports exactly what changed and was added, asking with the checkpoint', async () => {
    await using api = await startDemoApi({ records: 120 });
    const db = await freshDb();
    assert.deepEqual(result(await importFrom(api.url, db, incremental)).counts.inserted, 120);
    api.touch(['item-0007', 'item-0090']);
    api.add(3);
    const second = result(await importFrom(api.url, db, incremental));
    assert.deepEqual([second.counts.inserted, second.counts.updated], [3, 2]);
    assert.ok(
      second.counts.read <= 6,
      `only the changes (and the checkpoint's own record) are read: ${second.counts.read}`,
    );
    assert.deepEqual(items(db), asServed(api));
  });

  it('a record updated while a run is in progress is not lost', async () => {
    // While the 8th page is asked for: one record already read changes, and one not yet read.
    const midRun: { touch?: () => void } = {};
    await using api = await startDemoApi({ records: 200, onList: (n) => n === 8 && midRun.touch?.() });
    midRun.touch = () => api.touch(['item-0005', 'item-0150']);
    const db = await freshDb();
    const first = await importFrom(api.url, db, [...incremental, '--page-size', '10']);
    assert.equal(first.code, 0);
    assert.match(api.records.get('item-0005')?.name ?? '', /\(v\d+\)$/, 'the record changed mid-run');
    assert.equal(result(await importFrom(api.url, db, incremental)).exitCode, 0);
    assert.deepEqual(items(db), asServed(api));
  });

  it('the same bad record read again by the next incremental run is one reject, with the newer run and position', async () => {
    const records = [
      { id: 1, updatedAt: '2026-01-01T00:00:00.000Z' },
      { name: 'no id', updatedAt: '2026-01-02T00:00:00.000Z' },
    ];
    const since = (query: Record<string, string>) =>
      records.filter((r) => query.since === undefined || r.updatedAt >= query.since);
    await using server = await startFaultServer({
      faults: (r) => ({ kind: 'status', status: 200, body: JSON.stringify(since(r.query)) }),
    });
    const db = await freshDb();
    const args = ['--cursor-field', 'updatedAt', '--max-rejects', '1'];
    assert.equal(result(await importFrom(server.url, db, args)).counts.rejected, 1);
    const second = result(await importFrom(server.url, db, args));
    assert.equal(second.counts.rejected, 1);
    assert.equal(
      server.requests[1]?.query.since,
      '2026-01-02T00:00:00.000Z',
      'the second run asked since the bad record',
    );
    const rejects = tableRows(db, '_ferry_rejects', 'id').map((r) => [r.run_id, JSON.parse(String(r.position)).source]);
    assert.deepEqual(rejects, [[second.runId, `${server.url}?since=2026-01-02T00%3A00%3A00.000Z`]]);
  });
});

describe('rest-import keeps secrets out of every output and table', () => {
  /** Every cell of a table, one per line: what a user reading the SQLite file would see. */
  const cells = (db: string, table: string) =>
    tableRows(db, table, 'rowid')
      .flatMap((row) => Object.values(row).map(String))
      .join('\n');

  it('a key the server echoes JSON-escaped in a 401 body (as PHP does): exit 65, and in no output or run row', async () => {
    const key = String.raw`sk/live"S3CR3T\é-1`;
    const echo = (authorization: unknown) =>
      `{"error":"invalid api key","received":"${phpJson(String(authorization))}"}`;
    await using server = await startFaultServer({
      faults: (r) => ({ kind: 'status', status: 401, body: echo(r.headers.authorization) }),
    });
    const db = await freshDb();
    const finished = await importFrom(server.url, db, ['--api-key', key]);
    assert.equal(finished.code, 65, finished.stderr);
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${key}`, 'the server got the key, and echoed it');
    const error = result(finished).error;
    assert.equal(error?.code, 'HTTP_401');
    assert.match(
      error?.message ?? '',
      /answered 401 Unauthorized: \{"error":"invalid api key","received":"\[redacted\]"\}/,
    );
    assert.deepEqual(leaksOf([finished.stdout, finished.stderr, cells(db, '_ferry_runs')].join('\n'), key), []);
  });

  it('a key in the URL query string, echoed in bad records: in no output, reject row or rejects listing', async () => {
    const key = 'qs/K3Y+S3CR3T';
    const records = [
      { id: 1, name: 'fine' },
      { name: `no id, and the key ${key}` },
      { name: `no id, and the key escaped ${phpJson(key)}` },
    ];
    await using server = await startFaultServer({
      faults: () => ({ kind: 'status', status: 200, body: JSON.stringify(records) }),
    });
    const db = await freshDb();
    const finished = await importFrom(`${server.url}?api_key=${encodeURIComponent(key)}`, db, ['--max-rejects', '5']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(server.requests[0]?.query.api_key, key);
    assert.equal(result(finished).counts.rejected, 2);
    // The listing runs without the key, as a user inspecting the rejects later would.
    const listed = await runExample('rest-import', ['rejects', '--db-path', db]);
    const pretty = await runExample('rest-import', ['rejects', '--db-path', db, '--log-format', 'pretty']);
    assert.equal(listed.stdout.trim().split('\n').length, 2, listed.stderr);
    assert.match(pretty.stdout, /items\?api_key=\[redacted\], page 1, record 2: id: id is missing or empty/);
    const everything = [
      finished.stdout,
      finished.stderr,
      listed.stdout,
      pretty.stdout,
      cells(db, '_ferry_rejects'),
      cells(db, '_ferry_runs'),
    ];
    assert.deepEqual(leaksOf(everything.join('\n'), key), []);
  });
});

describe('rest-import sends its key where the API wants it', () => {
  const KEY = 'k3y-that-must-not-leak';
  /** The fault server's collection, or a 401, by what `header` carries. */
  const guarded = (header: string, value: string) =>
    startFaultServer({
      faults: (request) =>
        request.headers[header] === value ? undefined : { kind: 'status', status: 401, body: '{"detail":"no"}' },
    });
  const cases: [string, string[], string, string][] = [
    ['X-API-Key, the key alone', ['--api-key-header', 'X-API-Key'], 'x-api-key', KEY],
    [
      'Authorization: Token <key> (Django REST framework)',
      ['--api-key-scheme', 'Token'],
      'authorization',
      `Token ${KEY}`,
    ],
    ['Authorization: Bearer <key>, the default', [], 'authorization', `Bearer ${KEY}`],
  ];
  for (const [name, args, header, value] of cases) {
    it(name, async () => {
      await using server = await guarded(header, value);
      const db = await freshDb();
      const finished = await importFrom(server.url, db, args, { API_KEY: KEY });
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal(items(db).length, 25);
      assert.ok(!`${finished.stdout}${finished.stderr}`.includes(KEY), 'the key in the output');
    });
  }

  it('a header whose name does not say it holds a credential is refused (64): it would follow links to other origins', async () => {
    await using server = await guarded('x-client', KEY);
    const finished = await importFrom(server.url, await freshDb(), ['--api-key-header', 'X-Client'], { API_KEY: KEY });
    assert.equal(finished.code, 64, finished.stderr);
    assert.match(result(finished).error?.message ?? '', /--api-key-header X-Client: give a header whose name says/);
  });
});
