// The built executables keep the README's promises: same flags, environment, events and exit
// codes as the job run from source, with no Node reachable (PATH=/nonexistent) and an
// environment of only what each test gives.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { FERRY_VERSION, type FerryEvent } from 'ferry';
import fileImport from '../../examples/file-import/file-import.ts';
import restImport from '../../examples/rest-import/rest-import.ts';
import { builtExample } from '../helpers/built-examples.ts';
import { startFaultServer } from '../helpers/fault-server.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { run, runJobFile, ROOT, type Finished } from '../helpers/spawn.ts';

const NO_NODE = { PATH: '/nonexistent' };

async function runBuilt(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<Finished> {
  const binary = await builtExample(name);
  return run(binary, args, {
    env: { ...NO_NODE, ...env },
    cwd: cwd ?? (await mkdtemp(path.join(tmpdir(), 'ferry-built-'))),
    timeoutMs: 60_000,
  });
}

function rows(db: string, table: string, orderBy: string): Record<string, unknown>[] {
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    return database
      .prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`)
      .all()
      .map((r) => ({ ...r }));
  } finally {
    database.close();
  }
}

const resultOf = (events: FerryEvent[]) => {
  const last = events.at(-1);
  assert.ok(last?.type === 'result');
  return last;
};

describe('built examples: --help and --version', () => {
  const jobs: [string, typeof fileImport | typeof restImport, string[]][] = [
    ['file-import', fileImport, ['--file <path>', '--key <a,b,…>', '--db-path <path>']],
    [
      'rest-import',
      restImport,
      ['--api-url <url>', '--api-key <string>', '--cursor-field <string>', '--db-path <path>'],
    ],
  ];
  for (const [name, job, options] of jobs) {
    it(`${name} --help: exit 0, usage with the job's and the built-in options, nothing on stderr`, async () => {
      const { code, stdout, stderr } = await runBuilt(name, ['--help']);
      assert.equal(stderr, '');
      assert.equal(code, 0);
      assert.ok(stdout.startsWith(`Usage: ${name} [options] [command]\n`), stdout);
      for (const option of [...options, '--env-file <path>', '--log-format <auto|json|pretty>', '--dry-run', '--help'])
        assert.ok(stdout.includes(option), `--help lists ${option}`);
      assert.match(stdout, /Exit codes: 0 success, 64 usage or config error/);
    });

    it(`${name} --version: the job's and ferry's versions`, async () => {
      const { code, stdout, stderr } = await runBuilt(name, ['--version']);
      assert.deepEqual(
        { code, stdout, stderr },
        { code: 0, stdout: `${job.name} ${job.version} (ferry ${FERRY_VERSION})\n`, stderr: '' },
      );
    });
  }
});

describe('built file-import: a real import', () => {
  const csv = '\uFEFFid,name,city\r\n1,"Zoë ""Z"" Ng",東京\r\n2,Bob,\r\n3,"a, b",Köln\r\n';
  const expected = [
    { id: '1', name: 'Zoë "Z" Ng', city: '東京' },
    { id: '2', name: 'Bob', city: '' },
    { id: '3', name: 'a, b', city: 'Köln' },
  ];

  it('imports a CSV into a SQLite file: the rows as written, a start and a succeeded result line, nothing on stderr', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-csv-'));
    await writeFile(path.join(dir, 'people.csv'), csv);
    const finished = await runBuilt(
      'file-import',
      ['--file', 'people.csv', '--db-path', 'people.db', '--key', 'id', '--no-infer'], // values as written: text columns
      {},
      dir,
    );
    assert.equal(finished.stderr, '');
    assert.equal(finished.code, 0);
    const events = parseEventLines(finished.stdout); // one valid event per line, one start, the result last
    assert.equal(events[0]?.type, 'start');
    const result = resultOf(events);
    assert.deepEqual(
      { status: result.status, exitCode: result.exitCode, read: result.counts.read, inserted: result.counts.inserted },
      { status: 'succeeded', exitCode: 0, read: 3, inserted: 3 },
    );
    assert.deepEqual(
      rows(path.join(dir, 'people.db'), 'people', 'id').map(({ _ferry_id: _i, ...rest }) => rest),
      expected,
    );
  });

  it('takes its options from the environment and from --env-file as the source run does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-env-'));
    await writeFile(path.join(dir, 'people.csv'), csv);
    await writeFile(
      path.join(dir, '.env'),
      'FILE_IMPORT_FILE=people.csv\nFILE_IMPORT_KEY=id\nFILE_IMPORT_INFER=false\n',
    );
    const finished = await runBuilt(
      'file-import',
      ['--env-file', '.env'],
      { DB_PATH: path.join(dir, 'env.db'), LOG_FORMAT: 'json' },
      dir,
    );
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(finished.stderr, '');
    assert.deepEqual(
      rows(path.join(dir, 'env.db'), 'people', 'id').map(({ _ferry_id: _i, ...rest }) => rest),
      expected,
    );
  });

  it('loses no line at exit: 10,000 rejects (4 MB) listed through a pipe, every line whole', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-big-'));
    const lines = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? `${i},name ${i}` : `,name ${i}`)); // every other key empty
    await writeFile(path.join(dir, 'half.csv'), `id,name\n${lines.join('\n')}\n`);
    const imported = await runBuilt(
      'file-import',
      ['--file', 'half.csv', '--db-path', 'half.db', '--key', 'id', '--max-rejects', '20000'],
      {},
      dir,
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(resultOf(parseEventLines(imported.stdout)).counts, {
      read: 20_000,
      inserted: 10_000,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      rejected: 10_000,
    });
    const listed = await runBuilt('file-import', ['rejects', '--db-path', 'half.db', '--limit', '20000'], {}, dir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.length > 1_000_000, `${listed.stdout.length} bytes: more than a pipe holds`);
    assert.ok(listed.stdout.endsWith('}\n'));
    const rejects = listed.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; position: { row: number } });
    assert.equal(rejects.length, 10_000);
    assert.deepEqual(new Set(rejects.map((r) => r.position.row)).size, 10_000);
  });

  it('a missing required option: exit 64, naming --file and FILE_IMPORT_FILE, before any work', async () => {
    const { code, stdout, stderr } = await runBuilt('file-import', ['--db-path', 'x.db']);
    assert.equal(code, 64);
    assert.match(stderr, /^file-import: missing required option --file \(or env FILE_IMPORT_FILE\)/);
    const result = resultOf(parseEventLines(stdout));
    assert.equal(result.error?.code, 'CONFIG_MISSING');
  });

  it("--env-file reaches the job, not the embedded Node: a missing file is ferry's exit 64, not Node's exit 9", async () => {
    // `node job.ts --env-file x` would have Node itself read x first (nodejs/node#54232).
    for (const args of [['--env-file', '/nonexistent/.env'], ['--env-file=/nonexistent/.env']]) {
      const { code, stderr } = await runBuilt('file-import', args);
      assert.equal(code, 64, stderr);
      assert.match(stderr, /^file-import: cannot read the env file \/nonexistent\/\.env given by --env-file/);
    }
  });

  it("ignores NODE_OPTIONS from the caller's environment", async () => {
    const { code, stdout, stderr } = await runBuilt('file-import', ['--version'], {
      NODE_OPTIONS: '--require /nonexistent/hook.js --no-such-flag',
    });
    assert.deepEqual({ code, stderr }, { code: 0, stderr: '' });
    assert.match(stdout, /^file-import 1\.0\.0/);
  });

  it('bad data: the same exit code and error as the run from source', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-bad-'));
    await writeFile(path.join(dir, 'orders.csv'), 'id,total\n1,10\n2,20,extra\n');
    const args = ['--file', 'orders.csv', '--db-path', 'orders.db'];
    const built = await runBuilt('file-import', args, {}, dir);
    const source = await runJobFile(path.join(ROOT, 'examples/file-import/file-import.ts'), args, {
      cwd: dir,
      env: { DB_PATH: 'unused.db' },
    });
    const summary = (f: Finished) => {
      const result = resultOf(parseEventLines(f.stdout));
      return { code: f.code, status: result.status, error: result.error, stderrLines: f.stderr.split('\n').length };
    };
    assert.deepEqual(summary(built), summary(source));
    assert.equal(built.code, 65);
  });
});

describe('built rest-import: a real import over HTTP', () => {
  it('SIGTERM mid-run: exit 130 with a cancelled result line, as a sidecar host expects', async () => {
    await using server = await startFaultServer({
      records: 45,
      pageSize: 10,
      faults: { 2: { kind: 'slow', delayMs: 20_000 } },
    });
    const binary = await builtExample('rest-import');
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-term-'));
    const finished = await run(binary, ['--api-url', server.url, '--db-path', 'term.db'], {
      env: NO_NODE,
      cwd: dir,
      onOutput: (out, child) => {
        if (out.includes('"type":"progress"') && child.signalCode === null && !child.killed) child.kill('SIGTERM');
      },
    });
    assert.equal(finished.code, 130, finished.stderr);
    const result = resultOf(parseEventLines(finished.stdout));
    assert.deepEqual({ status: result.status, exitCode: result.exitCode }, { status: 'cancelled', exitCode: 130 });
  });

  it('fills the same table as the job run from source, through a burst of 503s', async () => {
    await using server = await startFaultServer({ records: 45, pageSize: 10 });
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-rest-'));
    const source = await runJobFile(
      path.join(ROOT, 'examples/rest-import/rest-import.ts'),
      ['--api-url', server.url, '--db-path', path.join(dir, 'source.db')],
      { timeoutMs: 60_000 },
    );
    assert.equal(source.code, 0, source.stderr);
    server.faults = {
      [server.requests.length + 2]: { kind: 'status', status: 503 },
      [server.requests.length + 3]: { kind: 'status', status: 503 },
    };
    const built = await runBuilt('rest-import', ['--api-url', server.url, '--db-path', 'built.db'], {}, dir);
    assert.equal(built.code, 0, built.stderr);
    const events = parseEventLines(built.stdout);
    assert.equal(events.filter((e) => e.type === 'log' && e.level === 'warn').length, 2, 'two retries logged');
    assert.equal(rows(path.join(dir, 'built.db'), 'items', 'id').length, 45);
    assert.deepEqual(rows(path.join(dir, 'built.db'), 'items', 'id'), rows(path.join(dir, 'source.db'), 'items', 'id'));
  });

  it('goes through HTTP_PROXY as curl does (host:port too), and around it for NO_PROXY: a host only the proxy can reach', async () => {
    await using server = await startFaultServer({ records: 25, pageSize: 10 });
    const port = new URL(server.url).port;
    const proxied: string[] = [];
    // A forward proxy that knows the one host no DNS answers for (.invalid): only through it is there an API.
    const proxy = createServer((req, res) => {
      proxied.push(req.url ?? '');
      const target = new URL(req.url ?? '/');
      const upstream = request({
        host: '127.0.0.1',
        port,
        path: target.pathname + target.search,
        headers: req.headers,
      });
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const api = `http://api.ferry.invalid:${port}/items`;
      const dir = await mkdtemp(path.join(tmpdir(), 'ferry-built-proxy-'));
      const proxyEnvs: [string, Record<string, string>][] = [
        ['p.db', { HTTP_PROXY: proxyUrl }],
        ['h.db', { http_proxy: proxyUrl.slice('http://'.length) }],
      ];
      for (const [db, env] of proxyEnvs) {
        proxied.length = 0;
        const through = await runBuilt('rest-import', ['--api-url', api, '--db-path', db], env, dir);
        assert.equal(through.code, 0, through.stdout);
        assert.equal(rows(path.join(dir, db), 'items', 'id').length, 25);
        assert.ok(proxied.length >= 3 && proxied.every((u) => u.startsWith(api)), proxied.join(' '));
      }

      const around = await runBuilt(
        'rest-import',
        ['--api-url', api, '--db-path', 'q.db', '--max-retries', '0'],
        { HTTP_PROXY: proxyUrl, NO_PROXY: 'api.ferry.invalid' },
        dir,
      );
      assert.equal(around.code, 75, around.stdout);
      assert.match(resultOf(parseEventLines(around.stdout)).error?.message ?? '', /ENOTFOUND/);
    } finally {
      proxy.close();
    }
  });

  it('a proxy variable that is no URL: 64 PROXY_INVALID naming it, never its value; --help still works', async () => {
    const env = { HTTPS_PROXY: 'http://user:pa55word@[::bad' };
    const failed = await runBuilt(
      'rest-import',
      ['--api-url', 'https://api.example.com/items', '--db-path', 'x.db'],
      env,
    );
    assert.equal(failed.code, 64, failed.stdout);
    const result = resultOf(parseEventLines(failed.stdout));
    assert.equal(result.error?.code, 'PROXY_INVALID');
    assert.match(result.error?.message ?? '', /^HTTPS_PROXY: not a proxy URL .*http:\/\/host:port/);
    assert.doesNotMatch(failed.stdout + failed.stderr, /pa55word/);
    assert.equal((await runBuilt('rest-import', ['--help'], env)).code, 0);
  });

  it('a proxy that wants credentials (407), over HTTP or HTTPS, or forbids an HTTPS host (403): 64 PROXY_REFUSED at once', async () => {
    let status = 407;
    let asked = 0;
    const answer = `HTTP/1.1 ${'{status}'}`;
    const proxy = createServer((_req, res) => {
      asked++;
      res.writeHead(status, { 'proxy-authenticate': 'Basic realm="corp"' }).end();
    });
    proxy.on('connect', (_req, socket: Socket) => {
      asked++;
      socket.end(`${answer.replace('{status}', String(status))} No\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://user:pa55word@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      for (const [code, said] of [
        [407, /asks for credentials \(407\): write them into the variable's URL as user:password@ before the host/],
        [403, /refuses to reach api\.example\.com \(403\)/],
      ] as const) {
        status = code;
        // Over plain HTTP a proxy's 403 is an answer like the API's own (65 HTTP_403): only 407 and the tunnel tell.
        for (const scheme of code === 407 ? ['http', 'https'] : ['https']) {
          asked = 0;
          const env = { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl };
          const url = `${scheme}://api.example.com/items`;
          const finished = await runBuilt('rest-import', ['--api-url', url, '--db-path', 'x.db'], env);
          const result = resultOf(parseEventLines(finished.stdout));
          assert.deepEqual([finished.code, result.error?.code], [64, 'PROXY_REFUSED'], `${code} ${scheme}`);
          assert.match(result.error?.message ?? '', said);
          assert.doesNotMatch(finished.stdout + finished.stderr, /pa55word/);
          assert.equal(asked, 1, `${code} ${scheme}: asked once, not retried`);
        }
      }
    } finally {
      proxy.close();
    }
  });
});
