// A job's command line, in-process: main(job, io) with a fake process (argv, environment, working
// directory) and its output kept. test/cli/job-process.test.ts runs a few of the same through a
// real process; the table of cases lives here, where each costs no process start.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import echoConfig from '../fixtures/jobs/echo-config.ts';
import { fakeIO, type FakeProcess } from '../helpers/fake-io.ts';
import { parseEventLines } from '../helpers/protocol.ts';

const cwd = await mkdtemp(path.join(tmpdir(), 'ferry-main-'));
const envFile = path.join(cwd, '.env');
await writeFile(envFile, 'PAGE_SIZE=30\nMODE=incremental\n');

/** Runs echo-config in-process: its exit code, what it printed, and the config its run was given. */
async function runEcho(argv: string[], env: Record<string, string> = {}, process: FakeProcess = {}) {
  const { io, stdout, stderr } = fakeIO({ cwd, ...process, argv, env });
  const code = await main(echoConfig, io);
  const events = parseEventLines(stdout());
  const line = events.find((e) => e.type === 'log' && e.msg === 'config') as
    { config?: Record<string, unknown> } | undefined;
  return { code, stderr: stderr(), events, config: line?.config };
}

describe('config precedence: flag > environment > env file > default', () => {
  const cases: [string, string[], Record<string, string>, number][] = [
    ['default', [], {}, 100],
    ['env file beats default', ['--env-file', envFile], {}, 30],
    ['environment beats env file', ['--env-file', envFile], { PAGE_SIZE: '20' }, 20],
    ['flag beats environment', ['--env-file', envFile, '--page-size', '10'], { PAGE_SIZE: '20' }, 10],
    ['flag=value beats environment', ['--page-size=11'], { PAGE_SIZE: '20' }, 11],
    ['env file named by ENV_FILE', [], { ENV_FILE: envFile }, 30],
    ['env file named by a path relative to the working directory', ['--env-file', '.env'], {}, 30],
  ];
  for (const [name, args, env, expected] of cases) {
    it(name, async () => {
      const { code, config } = await runEcho(['--api-key', 'test-key-1', ...args], env);
      assert.equal(code, 0);
      assert.equal(config?.pageSize, expected);
    });
  }

  it('types every value: url, path, enum, duration, list, boolean', async () => {
    const { config } = await runEcho(
      ['--api-key', 'test-key-1', '--tags', 'a,b', '--tags', 'c', '--verbose', '--timeout', '25h', '--out-dir', 'x/y'],
      { MODE: 'incremental', RATIO: '0.5' },
    );
    assert.deepEqual(
      {
        tags: config?.tags,
        verbose: config?.verbose,
        timeout: config?.timeout,
        outDir: config?.outDir,
        mode: config?.mode,
        ratio: config?.ratio,
      },
      {
        tags: ['a', 'b', 'c'],
        verbose: true,
        timeout: 25 * 3600_000,
        outDir: path.join(cwd, 'x/y'),
        mode: 'incremental',
        ratio: 0.5,
      },
    );
  });

  it('a boolean set by the environment can be turned off by --no-flag', async () => {
    const { config } = await runEcho(['--api-key', 'test-key-1', '--no-verbose'], { VERBOSE: 'true' });
    assert.equal(config?.verbose, false);
  });
});

describe('bad config fails before any work, exit 64', () => {
  const invalid: [string, string[], RegExp][] = [
    [
      'an int',
      ['--page-size', 'ten'],
      /invalid value "ten" for --page-size \(or env PAGE_SIZE\): expected an integer >= 1/,
    ],
    ['a range', ['--page-size', '0'], /--page-size .*expected an integer >= 1/],
    ['a url', ['--api-url', 'not a url'], /--api-url \(or env API_URL\): expected an absolute URL/],
    ['an enum', ['--mode', 'half'], /--mode \(or env MODE\): expected one of full, incremental/],
    ['a duration without unit', ['--timeout', '30'], /--timeout \(or env TIMEOUT\): expected a duration such as 500ms/],
    ['an unknown flag', ['--pagesize', '3'], /unknown option '--pagesize'/],
  ];
  for (const [name, args, message] of invalid) {
    it(`rejects ${name}, printing only a result line`, async () => {
      const { code, stderr, events } = await runEcho(['--api-key', 'test-key-1', ...args]);
      assert.equal(code, 64);
      assert.match(stderr, message);
      assert.deepEqual(
        events.map((e) => [e.type, e.type === 'result' && e.exitCode]),
        [['result', 64]],
      );
    });
  }

  it('names the env file a bad value came from', async () => {
    await writeFile(path.join(cwd, 'prod.env'), 'RATIO=lots\n');
    const { code, stderr } = await runEcho(['--api-key', 'test-key-1', '--env-file', path.join(cwd, 'prod.env')]);
    assert.equal(code, 64);
    assert.match(stderr, /invalid value "lots" in .*prod\.env for --ratio \(or env RATIO\): expected a number/);
  });

  it('an env file as Windows editors save it: a byte-order mark, CRLF, export, quotes and comments', async () => {
    const file = path.join(cwd, 'windows.env');
    await writeFile(file, '\uFEFFPAGE_SIZE=42\r\nexport RATIO=0.25\r\n# a comment\r\nOUT_DIR="with space" # why\r\n');
    const { code, config } = await runEcho(['--api-key', 'test-key-1', '--env-file', file]);
    assert.equal(code, 0);
    assert.deepEqual([config?.pageSize, config?.ratio, config?.outDir], [42, 0.25, path.join(cwd, 'with space')]);
  });

  it('a missing env file is a config error', async () => {
    const { code, stderr } = await runEcho(['--api-key', 'test-key-1', '--env-file', '/nonexistent/.env']);
    assert.equal(code, 64);
    assert.match(stderr, /cannot read the env file \/nonexistent\/\.env .*no such file/);
  });
});
