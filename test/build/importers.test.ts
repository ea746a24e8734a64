// One executable for many jobs: file-import and rest-import built into `importers`, which runs each
// exactly as its own executable does (help, version, env-example, runs, check, lock, exit codes),
// with no Node reachable, at about the size of one. The examples' end-to-end tests run through it
// too with FERRY_E2E=importers.
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startJob } from 'ferry/host';
import { startDemoApi } from '../../examples/demo-api/demo-api.ts';
import { builtExample, builtImporters, IMPORTERS } from '../helpers/built-examples.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { ROOT, run, type Finished } from '../helpers/spawn.ts';
import { tableRows } from '../examples/sqlite-rows.ts';

const NO_NODE = { PATH: '/nonexistent' };
const scratch = () => mkdtemp(path.join(tmpdir(), 'ferry-importers-'));
const runIt = async (command: string, args: string[], env: Record<string, string> = {}) =>
  run(command, args, { env: { ...NO_NODE, ...env }, cwd: await scratch(), timeoutMs: 60_000 });
const importers = async (args: string[], env: Record<string, string> = {}) => runIt(await builtImporters(), args, env);
const single = async (name: string, args: string[], env: Record<string, string> = {}) =>
  runIt(await builtExample(name), args, env);
const same = (f: Finished) => ({ code: f.code, stdout: f.stdout, stderr: f.stderr });

describe('an executable of two jobs', () => {
  it('--help lists the jobs, with their descriptions and versions; exit 0', async () => {
    const help = await importers(['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^Usage: importers <job> \[options\] \[command\]/);
    assert.match(
      help.stdout,
      /\n {2}file-import {2}imports a CSV, NDJSON or JSON file into a SQLite table \(1\.0\.0\)\n/,
    );
    assert.match(
      help.stdout,
      /\n {2}rest-import {2}imports a paginated JSON REST collection into a SQLite table \(1\.0\.0\)\n/,
    );
    assert.match(help.stdout, /Exit codes: 0 success, 64 usage/);
  });

  for (const name of ['file-import', 'rest-import']) {
    for (const args of [['--help'], ['--version'], ['env-example'], ['check', '--help']]) {
      it(`${name} ${args.join(' ')}: the same output as its own executable`, async () => {
        assert.deepEqual(same(await importers([name, ...args])), same(await single(name, args)));
      });
    }
  }

  it('no job, or one it does not have: exit 64, said on stderr and in a result line', async () => {
    for (const [args, message] of [
      [[], /name the job first: importers <job> \[options\], one of file-import, rest-import/],
      [['--log-format', 'json'], /name the job first/],
      [['csv-import', '--file', 'x.csv'], /no job "csv-import" here: the jobs are file-import, rest-import/],
    ] as const) {
      const finished = await importers([...args]);
      assert.equal(finished.code, 64, finished.stderr);
      assert.match(finished.stderr, message);
      const [result, ...more] = parseEventLines(finished.stdout);
      assert.ok(result?.type === 'result' && more.length === 0, finished.stdout);
      assert.deepEqual([result.status, result.exitCode, result.error?.code], ['failed', 64, 'USAGE']);
    }
  });

  it("a job's config errors and runs are its own: same exit codes and result lines as its executable", async () => {
    const dir = await scratch();
    await writeFile(path.join(dir, 'people.csv'), 'id,name\n1,Ada\n2,Grace\n');
    const file = path.join(dir, 'people.csv');
    const cases: [string, string[]][] = [
      ['file-import', []], // missing --file: 64
      ['file-import', ['--file', file, '--key', 'nope']], // a key the file lacks: 65
      ['rest-import', ['--api-url', 'not a url']],
    ];
    for (const [name, args] of cases) {
      const [a, b] = [
        await importers([name, ...args, '--log-format', 'json']),
        await single(name, args.concat('--log-format', 'json')),
      ];
      const strip = (f: Finished) =>
        parseEventLines(f.stdout).map((e) => (e.type === 'result' ? [e.status, e.exitCode, e.error?.code] : e.type));
      assert.deepEqual([a.code, strip(a)], [b.code, strip(b)], `${name} ${args.join(' ')}`);
    }
    for (const [exe, db] of [
      ['importers', path.join(dir, 'a.db')],
      ['single', path.join(dir, 'b.db')],
    ] as const) {
      const args = ['--file', file, '--key', 'id', '--db-path', db];
      const ran = exe === 'importers' ? await importers(['file-import', ...args]) : await single('file-import', args);
      assert.equal(ran.code, 0, ran.stderr);
      const check =
        exe === 'importers'
          ? await importers(['file-import', 'check', '--db-path', db])
          : await single('file-import', ['check', '--db-path', db]);
      assert.equal(check.code, 0, check.stderr);
    }
    assert.deepEqual(
      tableRows(path.join(dir, 'a.db'), 'people', 'id'),
      tableRows(path.join(dir, 'b.db'), 'people', 'id'),
    );
  });

  it("shares the job's lock with its own executable: a second run of rest-import on one database exits 75", async () => {
    await using api = await startDemoApi({ records: 2000, delayMs: 40 });
    const db = path.join(await scratch(), 'locked.db');
    const args = ['--api-url', api.url, '--db-path', db, '--page-size', '100', '--log-format', 'json'];
    let second: Promise<Finished> | undefined;
    const first = run(await builtExample('rest-import'), args, {
      env: NO_NODE,
      timeoutMs: 60_000,
      onOutput: (stdout) => {
        if (second === undefined && stdout.includes('"type":"progress"')) second = importers(['rest-import', ...args]);
      },
    });
    assert.equal((await first).code, 0);
    assert.ok(second);
    const locked = await second;
    assert.equal(locked.code, 75, locked.stderr);
    const result = parseEventLines(locked.stdout).at(-1);
    assert.ok(result?.type === 'result');
    assert.deepEqual([result.exitCode, result.error?.code, result.error?.retryable], [75, 'LOCKED', true]);
  });

  it("ferry/host starts a job inside it: startJob(exe, { job: 'rest-import' })", async () => {
    await using api = await startDemoApi({ records: 300 });
    const db = path.join(await scratch(), 'host.db');
    const result = await startJob(await builtImporters(), {
      job: 'rest-import',
      config: { apiUrl: api.url, dbPath: db },
      env: NO_NODE,
    }).result;
    assert.deepEqual([result.status, result.counts.inserted], ['succeeded', 300], result.lastStderr);
    assert.equal(tableRows(db, 'items', 'id').length, 300);
  });

  it('its size is within 5% of a single job executable', async (t) => {
    const [both, rest, file] = await Promise.all(
      [builtImporters(), builtExample('rest-import'), builtExample('file-import')].map(
        async (p) => (await stat(await p)).size,
      ),
    );
    const larger = Math.max(rest ?? 0, file ?? 0);
    t.diagnostic(`importers ${both} bytes; rest-import ${rest}; file-import ${file}`);
    assert.ok((both ?? 0) <= larger * 1.05, `${both} > 1.05 × ${larger}`);
  });
});

describe('ferry build of several jobs, as a user runs it', () => {
  it('--tauri names the one executable as Tauri expects, and it runs both jobs', async () => {
    const out = await scratch();
    const entries = ['file-import', 'rest-import'].map((n) => path.join(ROOT, 'examples', n, `${n}.ts`));
    const built = await run(
      process.execPath,
      [
        '--conditions=source',
        path.join(ROOT, 'src/tool/bin.ts'),
        'build',
        ...entries,
        '--name',
        IMPORTERS,
        '--tauri',
        '--out',
        out,
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(built.code, 0, built.stderr);
    const triple = process.arch === 'arm64' ? 'aarch64-unknown-linux-gnu' : 'x86_64-unknown-linux-gnu';
    assert.deepEqual((await readdir(out)).sort(), [`importers-${triple}`, `importers-${triple}.sha256`]);
    const exe = path.join(out, `importers-${triple}`);
    for (const name of ['file-import', 'rest-import']) {
      const version = await runIt(exe, [name, '--version']);
      assert.equal(version.stdout, `${name} 1.0.0 (ferry 0.1.0)\n`, version.stderr);
    }
  });
});
