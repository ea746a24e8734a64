// How real hosts start a job: cron and scripts from a folder deleted since, systemd units and
// container env files handing in values as they are written. Each case spawns the built
// executable (or the ferry tool) with an explicit environment, as the host would.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemoApi, type DemoApi } from '../../examples/demo-api/demo-api.ts';
import { sidecarFor, runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf } from '../helpers/protocol.ts';
import { ROOT, fixture, run } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-hostenv-'));
  const csv = path.join(dir, 'a.csv');
  await writeFile(csv, 'id,name\n1,a\n2,b\n');
  return { dir, csv, db: path.join(dir, 'a.db') };
}

// The shell enters the folder, deletes it, and becomes the command: its working directory is gone.
const IN_DELETED_FOLDER = 'cd "$0" && /bin/rmdir "$0" && exec "$@"';

async function inDeletedFolder(parent: string, command: string, args: readonly string[], env: Record<string, string>) {
  const gone = path.join(parent, 'gone');
  await mkdir(gone);
  return run('/bin/sh', ['-c', IN_DELETED_FOLDER, gone, command, ...args], { env });
}

describe('a job started in a folder that was deleted since (cron, a script)', () => {
  it('exits 64 CWD_GONE with a result line, and writes nothing (was 0 with no line at all)', async () => {
    const w = await workspace();
    const { command, args } = await sidecarFor('file-import');
    const finished = await inDeletedFolder(w.dir, command, [...args, '--file', w.csv, '--db-path', w.db], {
      PATH: '/nonexistent',
    });
    failsWith(finished, 64, 'CWD_GONE', /working directory no longer exists.*start the job from a folder that exists/);
    assert.match(finished.stderr, /^file-import: the working directory no longer exists/);
    assert.equal(existsSync(w.db), false);
  });

  it('ferry run and ferry verify say so too, 64 (were 0 silently, and 1)', async () => {
    const w = await workspace();
    const bin = path.join(ROOT, 'src/tool/bin.ts');
    const hello = path.join(ROOT, 'examples/hello/hello.ts');
    for (const command of [
      ['run', hello, '--name', 'x'],
      ['verify', hello, '--trials', '1', '--', '--name', 'x'],
    ]) {
      const finished = await inDeletedFolder(w.dir, process.execPath, ['--conditions=source', bin, ...command], {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      });
      assert.deepEqual([finished.code, finished.stdout], [64, ''], `ferry ${command[0]}: ${finished.stderr}`);
      assert.match(finished.stderr, /^ferry: the working directory no longer exists/);
    }
  });
});

describe('a database URL whose password was not percent-encoded (an env file, a secret store)', () => {
  const password = 'Xk9#pQ2/vR?m';
  for (const [name, url] of [
    ['#', `postgres://ferry:${password}@db.internal:5432/imports`],
    ['/ and ?', `postgres://ferry:ab/cd?ef-long-pw@db.internal/imports`],
  ] as const) {
    it(`a password with ${name}: 64 naming the fix, and the password in no output (it was printed whole)`, async () => {
      const w = await workspace();
      const finished = await runExample('file-import', ['--file', w.csv], { env: { DATABASE_URL: url } });
      failsWith(finished, 64, 'CONFIG_INVALID', /--db-url \(or env DATABASE_URL\).*percent-encoded.*# %23/);
      const secret = /:\/\/ferry:(.*)@/.exec(url)?.[1] ?? '';
      for (const part of [secret, ...secret.split(/[#/?]/).filter((p) => p.length >= 4)])
        assert.equal(`${finished.stdout}${finished.stderr}`.includes(part), false, `${part} printed`);
    });
  }

  it('an API URL with such credentials: the same', async () => {
    const w = await workspace();
    const finished = await runExample('rest-import', ['--db-path', w.db], {
      env: { API_URL: 'https://importer:t0ken#S3cret@api.example.com/orders' },
    });
    failsWith(finished, 64, 'CONFIG_INVALID', /--api-url \(or env API_URL\).*percent-encoded/);
    assert.doesNotMatch(`${finished.stdout}${finished.stderr}`, /t0ken|S3cret/);
  });
});

describe('check says in --help the code it exits with', () => {
  it('69 when not healthy, as it does (the help said 1, a bug)', async () => {
    const w = await workspace();
    const help = await runExample('file-import', ['--help']);
    assert.match(help.stdout, /check \[options\] +healthcheck: .* exit 0, or 69 when not/);
    const finished = await runExample('file-import', ['check', '--db-path', w.db]);
    assert.equal(finished.code, 69, finished.stdout);
  });
});

describe('values in quotes, as docker run --env-file passes X="value" on', () => {
  it('a quoted DB_PATH is 64 saying to remove the quotes (it made a file named "a.db" with the quotes, exit 0)', async () => {
    const w = await workspace();
    const finished = await runExample('file-import', ['--file', w.csv], { cwd: w.dir, env: { DB_PATH: '"a.db"' } });
    failsWith(
      finished,
      64,
      'CONFIG_INVALID',
      /invalid value "\\"a\.db\\"" for --db-path.*quotes are part of the value/,
    );
    assert.deepEqual(await readdir(w.dir), ['a.csv']);
  });

  it('a quoted number or URL says why it is refused', async () => {
    const w = await workspace();
    const finished = await runExample('file-import', ['--file', w.csv, '--db-path', w.db], {
      env: { BATCH_SIZE: "'500'", DATABASE_URL: '"postgres://ferry:pw-long-enough@db/x"' },
    });
    failsWith(finished, 64, 'CONFIG_INVALID', /--db-url.*remove them\n.*--batch-size.*remove them/);
    assert.doesNotMatch(`${finished.stdout}${finished.stderr}`, /pw-long-enough/);
  });
});

describe("a host that does not read the job's stdout (a full pipe)", () => {
  let api: DemoApi;
  before(async () => {
    api = await startDemoApi({ records: 3000, delayMs: 60 });
  });
  after(() => api?.close());

  const host = async (mode: 'sigterm' | 'slow', db: string) => {
    const { command, args } = await sidecarFor('rest-import');
    const jobArgs = [...args, '--api-url', api.url, '--page-size', '50', '--db-path', db, '--log-format', 'json'];
    const finished = await run('python3', [fixture('hosts/unread_pipe_host.py'), mode, command, ...jobArgs], {
      timeoutMs: 60_000,
    });
    assert.equal(finished.code, 0, finished.stderr);
    return JSON.parse(finished.stdout) as { code: number | null; seconds: number; last: string | null };
  };

  it('SIGTERM still stops it: 130 within seconds (it hung until SIGKILL), and a rerun completes', async () => {
    const w = await workspace();
    const ended = await host('sigterm', w.db);
    assert.equal(ended.code, 130, JSON.stringify(ended));
    assert.ok(ended.seconds < 12, JSON.stringify(ended));
    const rerun = await runExample('rest-import', ['--api-url', api.url, '--page-size', '500', '--db-path', w.db]);
    assert.equal(resultOf(rerun).exitCode, 0, rerun.stderr);
    assert.equal(tableRows(w.db, 'items', 'id').length, 3000);
  });

  it('a host that reads late gets every line, the result last', async () => {
    const w = await workspace();
    const ended = await host('slow', w.db);
    assert.equal(ended.code, 0, JSON.stringify(ended));
    assert.match(ended.last ?? '', /"type":"result".*"status":"succeeded"/);
    assert.equal(tableRows(w.db, 'items', 'id').length, 3000);
  });
});
