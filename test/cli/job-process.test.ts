import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseEventLines } from '../helpers/protocol.ts';
import { fixture, run, runJobFile } from '../helpers/spawn.ts';

const JOB = fixture('jobs/echo-config.ts');

async function runEcho(args: string[], env: Record<string, string> = {}) {
  const finished = await runJobFile(JOB, args, { env });
  assert.doesNotMatch(finished.stderr, /Warning/, 'no Node warnings on stderr');
  return { ...finished, events: parseEventLines(finished.stdout) };
}

function configOf(events: ReturnType<typeof parseEventLines>): Record<string, unknown> {
  const line = events.find((e) => e.type === 'log' && e.msg === 'config');
  assert.ok(line, 'the job logs its config');
  return (line as unknown as { config: Record<string, unknown> }).config;
}

// The table of cases runs in-process (test/cli/main.test.ts); these two go through a real
// process: its real environment, and an env file named by flag and by variable.
describe('config precedence: flag > environment > env file > default', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-env-'));
  const envFile = path.join(dir, '.env');
  await writeFile(envFile, 'PAGE_SIZE=30\nMODE=incremental\n');

  const cases: [string, string[], Record<string, string>, number][] = [
    ['flag beats environment beats env file', ['--env-file', envFile, '--page-size', '10'], { PAGE_SIZE: '20' }, 10],
    ['env file named by ENV_FILE', [], { ENV_FILE: envFile }, 30],
  ];
  for (const [name, args, env, expected] of cases) {
    it(name, async () => {
      const { code, events } = await runEcho(['--api-key', 'test-key-1', ...args], env);
      assert.equal(code, 0);
      assert.equal(configOf(events).pageSize, expected);
    });
  }
});

describe('bad config fails before any work, exit 64', () => {
  it('a missing required option names the flag and the environment variable', async () => {
    const { code, stderr, events } = await runEcho([]);
    assert.equal(code, 64);
    assert.match(stderr, /missing required option --api-key \(or env API_KEY\): the API token/);
    assert.deepEqual(
      events.map((e) => e.type),
      ['result'],
      'no start, no work: only the result',
    );
    const [result] = events;
    assert.equal(result?.type === 'result' && result.error?.code, 'CONFIG_MISSING');
  });

  // Given as a flag after a script path, Node itself exits 9 on a missing --env-file (nodejs/node#54232),
  // so the source run is checked through ENV_FILE; the built binary is checked with the flag.
  it('a missing env file is a config error', async () => {
    const { code, stderr } = await runEcho(['--api-key', 'test-key-1'], { ENV_FILE: '/nonexistent/.env' });
    assert.equal(code, 64);
    assert.match(stderr, /cannot read the env file \/nonexistent\/\.env .*no such file/);
  });
});

describe('exit codes', () => {
  const cases: [string, number, string, boolean][] = [
    ['ok', 0, 'succeeded', false],
    ['permanent', 65, 'failed', false],
    ['retryable', 75, 'failed', true],
    ['bug', 1, 'failed', false],
    ['reject', 1, 'failed', false],
  ];
  for (const [behaviour, exitCode, status, retryable] of cases) {
    it(`${behaviour} → ${exitCode}`, async () => {
      const { code, events, stderr } = await runEcho(['--api-key', 'test-key-1', '--behaviour', behaviour]);
      assert.equal(code, exitCode);
      const result = events.at(-1);
      assert.ok(result?.type === 'result');
      assert.deepEqual(
        [result.status, result.exitCode, result.error?.retryable ?? false],
        [status, exitCode, retryable],
      );
      if (exitCode !== 0) assert.match(stderr, /"level":"error"/, 'the error event is copied to stderr');
    });
  }

  it('a run left awaiting what never settles, with nothing else to run: exit 1 with an UNSETTLED result and a line on stderr, never a silent exit', async () => {
    const { code, events, stderr } = await runEcho(['--api-key', 'test-key-1', '--behaviour', 'hang']);
    const start = events[0];
    const result = events.at(-1);
    assert.ok(start?.type === 'start' && result?.type === 'result');
    assert.deepEqual(
      [code, result.runId, result.status, result.exitCode, result.error?.code, result.error?.retryable],
      [1, start.runId, 'failed', 1, 'UNSETTLED', false],
    );
    assert.match(
      stderr,
      /^echo-config: the run was left waiting for something that can never happen \(a bug in ferry: please report it\)/m,
    );
  });

  it('a plain Error logs its stack', async () => {
    const { events } = await runEcho(['--api-key', 'test-key-1', '--behaviour', 'bug']);
    const error = events.find((e) => e.type === 'log' && e.level === 'error') as { stack?: string } | undefined;
    assert.match(error?.stack ?? '', /TypeError: cannot read properties of undefined\n\s+at /);
  });
});

describe('signals', () => {
  it('SIGTERM mid-run exits 130 with a cancelled result', async () => {
    const finished = await runJobFile(JOB, ['--api-key', 'test-key-1', '--behaviour', 'wait'], {
      onOutput: (out, child) => {
        if (out.includes('"type":"progress"') && child.signalCode === null && !child.killed) child.kill('SIGTERM');
      },
    });
    assert.equal(finished.code, 130);
    const result = parseEventLines(finished.stdout).at(-1);
    assert.ok(result?.type === 'result');
    assert.deepEqual([result.status, result.error?.code], ['cancelled', 'CANCELLED']);
  });
});

describe('signals, continued', () => {
  it('a second SIGTERM exits at once, 130, saying so on stderr', async () => {
    let sent = 0;
    const started = performance.now();
    const finished = await runJobFile(JOB, ['--api-key', 'test-key-1', '--behaviour', 'stubborn'], {
      onOutput: (out, child) => {
        const next = sent === 0 ? '"type":"progress"' : sent === 1 ? '"msg":"ignoring the signal"' : undefined;
        if (next === undefined || !out.includes(next)) return;
        sent++;
        child.kill('SIGTERM'); // the first is ignored (the job says so); the second exits at once
      },
    });
    assert.ok(performance.now() - started < 10_000, 'long before the job would have ended');
    assert.equal(finished.code, 130);
    assert.match(finished.stderr, /echo-config: second SIGTERM, exiting at once/);
  });

  it("a SIGTERM after the result line, while a stray handle holds the process, exits at once with the run's code", async () => {
    let sentAt = 0;
    const finished = await runJobFile(JOB, ['--api-key', 'test-key-1', '--behaviour', 'linger'], {
      onOutput: (out, child) => {
        if (sentAt > 0 || !out.includes('"type":"result"')) return;
        sentAt = performance.now();
        child.kill('SIGTERM');
      },
    });
    assert.deepEqual([finished.code, finished.signal], [0, null]);
    assert.ok(performance.now() - sentAt < 1000, 'long before the stray timer fires');
    assert.equal(parseEventLines(finished.stdout).at(-1)?.type, 'result');
  });
});

describe('pretty output for a person at a terminal', () => {
  it('--log-format pretty prints readable lines and a summary, no JSON', async () => {
    const finished = await runJobFile(JOB, ['--api-key', 'test-key-1', '--log-format', 'pretty']);
    assert.equal(finished.code, 0);
    assert.match(finished.stdout, /^echo-config 1\.2\.3 · run \S+\n/);
    assert.match(finished.stdout, /info {2}config config=/);
    assert.match(finished.stdout, /✔ succeeded in \d+\.\d\ds, exit 0: read 3, inserted 0/);
    assert.doesNotMatch(finished.stdout, /"type":/);
  });

  it('without --log-format: pretty at a terminal (a real pty, by script(1)), JSON lines into a pipe', async (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('needs script(1) from util-linux for a pseudo-terminal');
    const command = [process.execPath, '--conditions=source', JOB, '--api-key', 'test-key-1'].join(' ');
    const atTerminal = await run('/usr/bin/script', ['-qec', command, '/dev/null']);
    assert.equal(atTerminal.code, 0);
    assert.match(atTerminal.stdout, /✔ succeeded/);
    assert.doesNotMatch(atTerminal.stdout, /"type":/);
    const piped = await runJobFile(JOB, ['--api-key', 'test-key-1']);
    assert.equal(parseEventLines(piped.stdout).at(-1)?.type, 'result');
  });

  it('a failure goes to stderr in pretty mode, with the code', async () => {
    const finished = await runJobFile(JOB, [
      '--api-key',
      'test-key-1',
      '--log-format',
      'pretty',
      '--behaviour',
      'retryable',
    ]);
    assert.equal(finished.code, 75);
    assert.match(finished.stderr, /✖ failed in .*exit 75.*\n {2}HTTP_503: the API answered 503 \(retryable\)/);
  });
});

describe('secrets never reach any output', () => {
  const secret = 'sk_live_S3cr3t';
  const password = 'hunter2-pw';
  const url = `https://bob:${password}@api.example.test/items`;
  const ways: [string, string[], Record<string, string>][] = [
    ['by flag', ['--api-key', secret, '--api-url', url], {}],
    ['by flag=value', [`--api-key=${secret}`, `--api-url=${url}`], {}],
    ['by environment', [], { API_KEY: secret, API_URL: url }],
  ];
  for (const [name, args, env] of ways) {
    for (const behaviour of ['ok', 'leak-secret', 'reject', 'bug']) {
      it(`${name}, ${behaviour}`, async () => {
        const { stdout, stderr } = await runEcho([...args, '--behaviour', behaviour], env);
        for (const text of [stdout, stderr]) {
          assert.ok(!text.includes(secret), `secret in output: ${text}`);
          assert.ok(!text.includes(password), `URL password in output: ${text}`);
        }
        assert.match(stdout, /\[redacted\]/);
      });
    }
  }

  it('a one-letter secret is redacted where it stands alone, not from words, without breaking any line', async () => {
    const { code, events } = await runEcho(['--api-key', 'r', '--behaviour', 'leak-secret']);
    assert.equal(code, 1);
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'log', 'log', 'result'],
    );
    const result = events.at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(result.error?.message, 'request to https://api.example.test/items failed with key [redacted]');
  });

  it('an invalid secret value is not echoed in the config error', async () => {
    const { code, stderr, stdout } = await runEcho(['--api-key', secret, '--api-url', `ftp://bob:${password}@x`]);
    assert.equal(code, 64);
    assert.ok(!stderr.includes(password) && !stdout.includes(password));
  });
});

describe('--help, --version, env-example', () => {
  it('--help lists every option with its flag, environment variable and default', async () => {
    const { code, stdout } = await runJobFile(JOB, ['--help']);
    assert.equal(code, 0);
    const expected: [string, string][] = [
      ['--api-key <string>', 'env API_KEY; required; secret'],
      ['--api-url <url>', 'env API_URL; default https://api.example.test/items'],
      ['--page-size <int>', 'env PAGE_SIZE; default 100'],
      ['--ratio <number>', 'env RATIO'],
      ['--verbose', 'env VERBOSE'],
      ['--out-dir <path>', 'env OUT_DIR; default ./out'],
      ['--mode <full|incremental>', 'env MODE; default full'],
      ['--timeout <duration>', 'env TIMEOUT; default 30s'],
      ['--tags <a,b,…>', 'env TAGS; e.g. a,b'],
      ['--env-file <path>', 'env ENV_FILE'],
      ['--log-format <auto|json|pretty>', 'env LOG_FORMAT; default auto'],
      ['--log-level <debug|info|warn|error>', 'env LOG_LEVEL; default info'],
      ['--max-rejects <int>', 'env MAX_REJECTS; default 0'],
      ['--min-records <int>', 'env MIN_RECORDS; default 0'],
      ['--dry-run', 'env DRY_RUN'],
      ['--exit-with-parent', 'env EXIT_WITH_PARENT'],
    ];
    const flat = stdout.replace(/\s+/g, ' ');
    for (const [flag, notes] of expected) {
      assert.ok(flat.includes(flag), `help lists ${flag}`);
      assert.ok(flat.includes(notes), `help says "${notes}"`);
    }
    assert.match(stdout, /Exit codes: 0 success, 64 usage/);
  });

  it('--version prints the job and ferry versions', async () => {
    const { code, stdout } = await runJobFile(JOB, ['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^echo-config 1\.2\.3 \(ferry \d+\.\d+\.\d+\)\n$/);
  });

  it('env-example prints a .env.example', async () => {
    const { code, stdout } = await runJobFile(JOB, ['env-example']);
    assert.equal(code, 0);
    assert.equal(
      stdout,
      `# echo-config 1.2.3: a test job that reports its config
# Copy to .env, fill in, and pass --env-file .env (flags and the environment win over it).

# the API token (required, secret; flag --api-key)
API_KEY=

# the collection URL (optional, default https://api.example.test/items; flag --api-url)
# API_URL=https://api.example.test/items

# records per page (optional, default 100; flag --page-size)
# PAGE_SIZE=100

# a ratio (optional; flag --ratio)
# RATIO=

# say more (optional; flag --verbose)
# VERBOSE=

# where files go (optional, default ./out; flag --out-dir)
# OUT_DIR=./out

# what to import (optional, default full; flag --mode)
# MODE=full

# per request (optional, default 30s; flag --timeout)
# TIMEOUT=30s

# labels to add (optional; flag --tags)
TAGS=a,b

# what the run does (optional, default ok; flag --behaviour)
# BEHAVIOUR=ok

# json: one event per line; pretty: readable lines and a progress bar; auto: pretty on a terminal (optional, default auto; flag --log-format)
# LOG_FORMAT=auto

# the least important log level printed (optional, default info; flag --log-level)
# LOG_LEVEL=info

# fail (65) when more records than this are rejected; the run then keeps nothing but the rejects (optional, default 0; flag --max-rejects)
# MAX_REJECTS=0

# fail (65) when the run reads fewer records: the source looks broken; the run then keeps nothing (optional, default 0; flag --min-records)
# MIN_RECORDS=0

# do the whole run, then roll it back; the result tells what would have changed (optional; flag --dry-run)
# DRY_RUN=

# stop as on SIGTERM when the process that started the job dies (an app's sidecar); ferry/host sets it (optional; flag --exit-with-parent)
# EXIT_WITH_PARENT=
`,
    );
  });

  it('the generated .env.example, filled in, configures the job', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-env-'));
    const { stdout } = await runJobFile(JOB, ['env-example']);
    await writeFile(path.join(dir, '.env'), stdout.replace('API_KEY=', 'API_KEY=from-file'));
    const { code, events } = await runEcho(['--env-file', path.join(dir, '.env')]);
    assert.equal(code, 0);
    assert.deepEqual(configOf(events).tags, ['a', 'b']);
  });
});

describe('secrets given as defaults in the job source', () => {
  it("--help, env-example and the run show neither the secret default nor a default URL's credentials", async () => {
    const job = fixture('jobs/secret-defaults.ts');
    const outputs = await Promise.all([['--help'], ['env-example'], []].map((args) => runJobFile(job, args)));
    const [help, example, ran] = outputs.map((o) => `${o.stdout}${o.stderr}`) as [string, string, string];
    for (const text of [help, example, ran])
      assert.doesNotMatch(text, /demo-key-abc123|hunter2-pass|k3y-in-query/, text);
    assert.match(help, /--api-key <string> +the API token \[env API_KEY; default \[redacted\]; secret\]/);
    assert.match(help, /default\s+https:\/\/\[redacted\]@api\.example\.test\/v1\?api_key=\[redacted\]/);
    assert.match(example, /^# API_KEY=$/m);
    assert.equal(outputs[2]?.code, 0, ran);
  });
});
