// Every fault the suite knows, against the built example jobs: no run may exit 1 (a ferry bug),
// end without a result line, or outlast its time limit; each ends with its documented code, and
// once the fault is gone (or the input fixed) a rerun leaves the table equal to a clean run's.
// The table of outcomes is written to test-output/fault-matrix.md (docs/reliability.md quotes it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { startFaultServer, type Fault, type FaultServer } from '../helpers/fault-server.ts';
import { runExample, type ExampleName } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { ROOT, type Finished, type SpawnOptions } from '../helpers/spawn.ts';
import { tableRows } from '../examples/sqlite-rows.ts';
import { OPENPYXL_PEOPLE } from '../sources/files/xlsx-fixtures.ts';

const TIME_LIMIT_MS = 45_000;
const outcomes: string[] = [];

interface Run {
  finished: Finished;
  ms: number;
}

async function runJob(
  name: ExampleName,
  args: string[],
  env: Record<string, string> = {},
  onOutput?: SpawnOptions['onOutput'],
): Promise<Run> {
  const started = performance.now();
  const finished = await runExample(name, args, { env, timeoutMs: TIME_LIMIT_MS, ...(onOutput ? { onOutput } : {}) });
  return { finished, ms: performance.now() - started };
}

/** The promises every faulty run keeps, whatever the fault. */
function judge(area: string, fault: string, { finished, ms }: Run, expected: readonly number[], exact: string): void {
  assert.notEqual(finished.signal, 'SIGKILL', `${fault}: over the ${TIME_LIMIT_MS} ms limit`);
  assert.notEqual(finished.code, 1, `${fault}: exit 1 is a ferry bug\n${finished.stderr}`);
  const events = parseEventLines(finished.stdout);
  const result = events.at(-1);
  assert.ok(result?.type === 'result', `${fault}: no result line`);
  assert.equal(result.exitCode, finished.code, `${fault}: the result line and the exit code agree`);
  assert.ok(
    expected.includes(finished.code ?? -1),
    `${fault}: exit ${finished.code}, expected ${expected.join(' or ')}: ${result.error?.message ?? ''}`,
  );
  assert.doesNotMatch(finished.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${fault}: no stack trace`);
  const code = result.error?.code ?? '';
  outcomes.push(
    `| ${area} | ${fault} | ${finished.code}${code ? ` \`${code}\`` : ''} | ${exact} | ${Math.round(ms)} ms |`,
  );
}

/** Rows in the job's own tables (not ferry's), or 0 when there is no database. */
function userRows(db: string): number {
  if (!existsSync(db)) return 0;
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    const tables = database
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\'")
      .all();
    return tables.reduce(
      (n, t) =>
        n + Number((database.prepare(`SELECT count(*) AS n FROM "${String(t.name)}"`).get() as { n: number }).n),
      0,
    );
  } finally {
    database.close();
  }
}

const workspace = async () => mkdtemp(path.join(tmpdir(), 'ferry-matrix-'));

describe('fault matrix: rest-import against a hostile API', () => {
  const faults: [string, readonly number[], (n: number) => Fault | undefined][] = [
    [
      '500, 502, 503 in a row',
      [0, 75],
      (n) =>
        ({
          2: { kind: 'status', status: 500 },
          3: { kind: 'status', status: 502 },
          4: { kind: 'status', status: 503 },
        })[n] as Fault | undefined,
    ],
    ['503 on every request', [75], () => ({ kind: 'status', status: 503 })],
    [
      '429 with Retry-After',
      [0, 75],
      (n) => (n === 2 ? { kind: 'retry-after', seconds: 1, as: 'seconds' } : undefined),
    ],
    ['an answer slower than --timeout', [0, 75], (n) => (n === 3 ? { kind: 'slow', delayMs: 3000 } : undefined)],
    ['a connection reset', [0, 75], (n) => (n === 2 ? { kind: 'reset' } : undefined)],
    ['a body cut off mid-way', [0, 75], (n) => (n === 3 ? { kind: 'truncate' } : undefined)],
    ['half a body, then silence', [0, 75], (n) => (n === 3 ? { kind: 'stall' } : undefined)],
    ['a 200 with half a JSON body', [0, 75], (n) => (n === 3 ? { kind: 'bad-json' } : undefined)],
    ['401 Unauthorized', [65], () => ({ kind: 'status', status: 401 })],
    ['404 Not Found on page 3', [65], (n) => (n === 3 ? { kind: 'status', status: 404 } : undefined)],
    [
      'a 200 HTML login page',
      [65],
      () => ({
        kind: 'status',
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><title>Sign in</title></html>',
      }),
    ],
    ['a body of 1 GiB', [65], (n) => (n === 2 ? { kind: 'huge', bytes: 1024 ** 3 } : undefined)],
    [
      'a body that is not UTF-8',
      [65],
      (n) =>
        n === 2
          ? {
              kind: 'status',
              status: 200,
              body: Buffer.from('[{"id":1,"name":"caf\xe9","updatedAt":"2026-01-01T00:00:00Z"}]', 'latin1'),
            }
          : undefined,
    ],
    [
      'a 200 whose body is not an array',
      [65],
      (n) => (n === 2 ? { kind: 'status', status: 200, body: '{"error":"none"}' } : undefined),
    ],
    [
      'empty pages with a next link, forever',
      [65],
      (n) =>
        n >= 2
          ? {
              kind: 'status',
              status: 200,
              body: '[]',
              headers: { link: `</items?page=${n + 1}&per_page=10>; rel="next"` },
            }
          : undefined,
    ],
    [
      'the same next link again (a loop)',
      [65],
      (n) =>
        n >= 2
          ? {
              kind: 'status',
              status: 200,
              body: '[{"id":1,"name":"a","updatedAt":"2026-01-01T00:00:00Z"}]',
              headers: { link: '</items?page=2&per_page=10>; rel="next"' },
            }
          : undefined,
    ],
  ];
  for (const [fault, expected, plan] of faults) {
    it(`${fault}: exit ${expected.join(' or ')}, then a clean rerun ends exact`, async () => {
      await using server = await startFaultServer({ records: 45, pageSize: 10 });
      const dir = await workspace();
      const reference = path.join(dir, 'reference.db');
      const args = (db: string) => [
        '--api-url',
        server.url,
        '--db-path',
        db,
        '--timeout',
        '1s',
        '--max-retries',
        '2',
        '--max-body',
        '1',
      ];
      assert.equal((await runJob('rest-import', args(reference))).finished.code, 0);
      const db = path.join(dir, 'faulty.db');
      const before = server.requests.length;
      server.faults = (request) => plan(request.n - before);
      const faulty = await runJob('rest-import', args(db));
      server.faults = {};
      assert.equal((await runJob('rest-import', args(db))).finished.code, 0, 'the rerun without the fault succeeds');
      assert.deepEqual(tableRows(db, 'items', 'id'), tableRows(reference, 'items', 'id'));
      judge('HTTP', fault, faulty, expected, 'yes, after a rerun');
    });
  }

  it('the server goes away: 75, then a rerun ends exact', async () => {
    const server: FaultServer = await startFaultServer({ records: 30 });
    const dir = await workspace();
    const url = server.url;
    await server.close();
    const db = path.join(dir, 'gone.db');
    const gone = await runJob('rest-import', ['--api-url', url, '--db-path', db, '--max-retries', '1']);
    judge('HTTP', 'connection refused (no server)', gone, [75], 'nothing written');
  });
});

const workbook = await readFile(OPENPYXL_PEOPLE);
/** The workbook with 64 bytes overwritten inside its first sheet's compressed data. */
function damaged(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf('xl/worksheets/sheet1.xml') + 2000;
  return copy.fill(0x55, at, at + 64);
}

describe('fault matrix: file-import against broken files', () => {
  const good = 'id,name\n1,a\n2,b\n3,c\n';
  const files: [string, string, string | Buffer, readonly number[], string[]][] = [
    ['a row with a field too many', 'ragged.csv', 'id,name\n1,a\n2,b,extra\n3,c\n', [65], ['--key', 'id']],
    ['a quote never closed', 'quote.csv', 'id,name\n1,"a\n2,b\n', [65], ['--key', 'id']],
    [
      'bytes that are not UTF-8 (Latin-1)',
      'latin.csv',
      Buffer.from('id,name\n1,caf\xe9\n', 'latin1'),
      [65],
      ['--key', 'id'],
    ],
    ['a damaged gzip', 'bad.csv.gz', gzipSync(good).subarray(0, 20), [65], ['--key', 'id']],
    ['a 0-byte export without --key', 'empty.csv', '', [65], []],
    ['a header alone, with --key', 'header.csv', 'id,name\n', [0], ['--key', 'id']],
    ['a header naming _ferry_id', 'own.csv', 'id,_ferry_id\n1,x\n', [65], []],
    ['a header naming one column twice', 'twice.csv', 'id,name,name\n1,a,b\n', [65], ['--key', 'id']],
    ['Name and name in one header', 'case.csv', 'id,Name,name\n1,a,b\n', [65], ['--key', 'id']],
    [
      '2,001 columns',
      'wide.csv',
      `${Array.from({ length: 2001 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 2001 }, () => 'v').join(',')}\n`,
      [65],
      ['--key', 'c0'],
    ],
    ['a JSON array cut off', 'cut.json', '[{"id":1,"name":"a"},{"id":2,"na', [65], ['--key', 'id']],
    ['a JSON file that is no array', 'object.json', '{"id":1}', [65], ['--key', 'id']],
    [
      'an NDJSON line that is not JSON',
      'lines.ndjson',
      '{"id":1,"name":"a"}\n{"id":2,\n{"id":3,"name":"c"}\n',
      [65],
      ['--key', 'id'],
    ],
    ['a key column left empty', 'nokey.csv', 'id,name\n1,a\n,b\n', [65], ['--key', 'id']],
    ['an XLSX workbook cut short', 'cut.xlsx', workbook.subarray(0, workbook.length / 2), [65], ['--key', 'id']],
    ['an XLSX workbook with a damaged sheet', 'damaged.xlsx', damaged(workbook), [65], ['--key', 'id']],
    ['a CSV named .xlsx', 'csv.xlsx', good, [65], ['--key', 'id']],
    ['an XLSX cell holding #N/A', 'errors.xlsx', workbook, [65], ['--sheet', 'Orders', '--key', 'order_id']],
    ['an XLSX sheet it lacks', 'book.xlsx', workbook, [64], ['--sheet', 'Customers']],
    [
      'ids past 2^53',
      'big.ndjson',
      '{"id":9007199254740993,"name":"a"}\n{"id":9007199254740992,"name":"b"}\n',
      [0],
      ['--key', 'id'],
    ],
  ];
  for (const [fault, name, content, expected, args] of files) {
    it(`${fault}: exit ${expected.join(' or ')}`, async () => {
      const dir = await workspace();
      const file = path.join(dir, name);
      await writeFile(file, content);
      const db = path.join(dir, 'f.db');
      const run = await runJob('file-import', ['--db-path', db, '--file', file, ...args]);
      if (!expected.includes(0))
        assert.equal(userRows(db), 0, `${fault}: a failed run of a file smaller than a batch keeps no row`);
      judge('file', fault, run, expected, expected.includes(0) ? 'yes' : 'no row kept');
    });
  }

  it('a file that does not exist, and one that is a folder: 65', async () => {
    const dir = await workspace();
    const db = path.join(dir, 'f.db');
    judge(
      'file',
      'no such file',
      await runJob('file-import', ['--db-path', db, '--file', path.join(dir, 'nope.csv')]),
      [65],
      'nothing written',
    );
    await mkdir(path.join(dir, 'folder.csv'));
    judge(
      'file',
      'a folder named like a file',
      await runJob('file-import', ['--db-path', db, '--file', path.join(dir, 'folder.csv')]),
      [65],
      'nothing written',
    );
  });
});

describe('fault matrix: the database and the configuration', () => {
  const csv = async (dir: string) => {
    const file = path.join(dir, 'p.csv');
    await writeFile(file, 'id,name\n1,a\n');
    return file;
  };
  it('--db-path a folder, in a missing folder, a text file, random bytes', async () => {
    const dir = await workspace();
    const file = await csv(dir);
    const text = path.join(dir, 'text.db');
    const noise = path.join(dir, 'noise.db');
    await writeFile(text, 'hello\n'.repeat(100));
    await writeFile(noise, randomBytes(8192));
    const cases: [string, string, number][] = [
      ['--db-path a folder', dir, 64],
      ['--db-path in a missing folder', path.join(dir, 'no', 'x.db'), 64],
      ['--db-path a text file', text, 65],
      ['--db-path random bytes', noise, 65],
    ];
    for (const [fault, db, code] of cases)
      judge('SQLite', fault, await runJob('file-import', ['--db-path', db, '--file', file]), [code], 'nothing written');
  });

  it('bad flags and environment: 64 before any work', async () => {
    const dir = await workspace();
    const file = await csv(dir);
    const db = path.join(dir, 'c.db');
    const cases: [string, ExampleName, string[], Record<string, string>][] = [
      ['--file missing', 'file-import', ['--db-path', db], {}],
      ['--table with a quote', 'file-import', ['--db-path', db, '--file', file, '--table', 'x"y'], {}],
      ['--format unknown', 'file-import', ['--db-path', db, '--file', file, '--format', 'xml'], {}],
      ['--api-url not a URL', 'rest-import', ['--db-path', db, '--api-url', 'not a url'], {}],
      ['--page-size 0', 'rest-import', ['--db-path', db, '--api-url', 'http://127.0.0.1:1/x', '--page-size', '0'], {}],
      ['--db-url not postgres', 'rest-import', ['--db-url', 'mysql://x', '--api-url', 'http://127.0.0.1:1/x'], {}],
      // Node's timers hold 24.8 days: a longer timeout would fire at once, a longer busy timeout threw
      ['--timeout 25d', 'rest-import', ['--db-path', db, '--api-url', 'http://127.0.0.1:1/x', '--timeout', '25d'], {}],
      ['BUSY_TIMEOUT=25d', 'file-import', ['--db-path', db, '--file', file], { BUSY_TIMEOUT: '25d' }],
      [
        '--history-retention 300000y',
        'file-import',
        ['--db-path', db, '--file', file, '--history-retention', '300000y'],
        {},
      ],
      [
        '--batch-size 10^11 (a file held whole)',
        'file-import',
        ['--db-path', db, '--file', file, '--batch-size', '99999999999'],
        {},
      ],
      [
        '--db-url sslmode=bogus',
        'file-import',
        ['--db-url', 'postgres://u@127.0.0.1:1/x?sslmode=bogus', '--file', file],
        {},
      ],
    ];
    for (const [fault, job, args, env] of cases)
      judge('config', fault, await runJob(job, args, env), [64], 'nothing written');
  });

  it('PostgreSQL that refuses the connection: 75', async () => {
    const dir = await workspace();
    judge(
      'PostgreSQL',
      'connection refused',
      await runJob('file-import', ['--db-url', 'postgres://postgres@127.0.0.1:1/test', '--file', await csv(dir)]),
      [75],
      'nothing written',
    );
  });
});

describe('fault matrix: signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} at a random instant of an import: 130 (or 0 if it had ended), then the rerun ends exact`, async () => {
      await using server = await startFaultServer({
        records: 200,
        pageSize: 10,
        faults: () => ({ kind: 'slow', delayMs: 40 }),
      });
      const dir = await workspace();
      const reference = path.join(dir, 'reference.db');
      assert.equal((await runJob('rest-import', ['--api-url', server.url, '--db-path', reference])).finished.code, 0);
      const db = path.join(dir, 'signalled.db');
      const at = 100 + Math.random() * 600;
      let sent = false;
      const stopped = await runJob('rest-import', ['--api-url', server.url, '--db-path', db], {}, (_out, child) => {
        if (!sent) setTimeout(() => child.kill(signal), at);
        sent = true;
      });
      assert.equal((await runJob('rest-import', ['--api-url', server.url, '--db-path', db])).finished.code, 0);
      assert.deepEqual(tableRows(db, 'items', 'id'), tableRows(reference, 'items', 'id'));
      judge('signal', `${signal} ${Math.round(at)} ms after the first line`, stopped, [130, 0], 'yes, after a rerun');
    });
  }
});

after(async () => {
  if (outcomes.length === 0) return;
  const out = path.join(ROOT, 'test-output');
  await mkdir(out, { recursive: true });
  const header = '| area | fault | exit (code) | data exact | time |\n|---|---|---|---|---|';
  await writeFile(path.join(out, 'fault-matrix.md'), `${header}\n${outcomes.join('\n')}\n`);
});
