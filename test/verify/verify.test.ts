import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { verifyJob } from 'ferry/testing';
import { runProcess } from '../../src/host/run-process.ts';
import { fixture, run, ROOT } from '../helpers/spawn.ts';
import path from 'node:path';
import { postgresUnavailable, TEST_DATABASE_URL } from '../stores/postgres/test-database.ts';

describe('verifyJob', () => {
  it('passes a well-behaved job: rerun, kills, SIGTERM and two runs at once', async () => {
    const lines: string[] = [];
    const report = await verifyJob({
      target: fixture('jobs/counter-import.ts'),
      args: ['--count', '6000', '--pause-ms', '2'],
      trials: 6,
      concurrent: true,
      onProgress: (l) => lines.push(l),
    });
    assert.ok(report.ok, lines.join('\n'));
    assert.deepEqual(
      report.checks.map((c) => c.name),
      [
        'reference run',
        'rerun changes nothing',
        ...[1, 2, 3, 4, 5, 6].map((n) => `kill trial ${n}`),
        'SIGTERM trial',
        'two runs at once',
      ],
    );
    assert.match(lines.at(-1) ?? '', /^retry-safe: all 10 checks hold$/);
    const killRun = String.raw`(killed \d+ ms in|exited 0 before the kill due \d+ ms in)`;
    for (const line of lines.filter((l) => l.includes('kill trial'))) {
      assert.match(
        line,
        new RegExp(String.raw`^✔ kill trial \d: ${killRun}(, then ${killRun})*; rerun matches the reference$`),
      );
    }
    assert.match(
      lines.find((l) => l.includes('SIGTERM trial')) ?? '',
      /^✔ SIGTERM trial: exited 130 on SIGTERM \d+ ms in; rerun matches the reference$/,
    );
  });

  it('says a SIGTERM trial was not tried when the job always ends before the signal, instead of ✔', async () => {
    const lines: string[] = [];
    const env = { FERRY_NODE: process.execPath, FERRY_JOB: fixture('jobs/counter-import.ts') };
    const report = await verifyJob({
      target: fixture('scripts/quiet-until-done.sh'),
      args: ['--count', '500'],
      trials: 0,
      env,
      onProgress: (l) => lines.push(l),
    });
    assert.ok(report.ok, lines.join('\n'));
    const term = report.checks.find((c) => c.name === 'SIGTERM trial');
    assert.equal(term?.skipped, true, lines.join('\n'));
    assert.match(
      lines.join('\n'),
      /^– SIGTERM trial: exited 0 (before|as) the signal .*: not a SIGTERM trial \(3 tries/m,
    );
    assert.equal(lines.at(-1), 'retry-safe: 2 checks hold; not tried: SIGTERM trial');
  });

  it('catches a job that inserts without a natural key: the rerun writes again', async () => {
    const report = await verifyJob({ target: fixture('jobs/broken-no-key.ts'), args: [], trials: 1 });
    assert.equal(report.ok, false);
    const rerun = report.checks.find((c) => c.name === 'rerun changes nothing');
    assert.equal(rerun?.ok, false);
    assert.match(rerun?.detail ?? '', /the second run wrote again: .*"inserted":2000/);
    assert.match(rerun?.detail ?? '', /insert without a key/);
  });

  it('a source that repeats a key: the rerun writes again, and the detail says the repeats are why', async () => {
    const csv = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-verify-repeats-')), 'stock.csv');
    await writeFile(csv, 'sku,qty\nA,1\nB,2\nA,3\n');
    const target = path.join(ROOT, 'examples/file-import/file-import.ts');
    const report = await verifyJob({ target, args: ['--file', csv, '--key', 'sku'], trials: 0 });
    const rerun = report.checks.find((c) => c.name === 'rerun changes nothing');
    assert.equal(rerun?.ok, false);
    assert.match(
      rerun?.detail ?? '',
      /the source repeats keys: the reference run, on an empty database, already updated 1 rows/,
    );
    assert.doesNotMatch(rerun?.detail ?? '', /insert without a key/);
  });

  it('catches a job that runs without the lock: two runs at once both succeed, in every try', async () => {
    const lines: string[] = [];
    const report = await verifyJob({
      target: fixture('jobs/broken-no-lock.ts'),
      args: ['--count', '3000'],
      trials: 0,
      concurrent: true,
      onProgress: (l) => lines.push(l),
    });
    assert.equal(report.ok, false, lines.join('\n'));
    const pair = report.checks.find((c) => c.name === 'two runs at once');
    assert.equal(pair?.ok, false);
    assert.match(pair?.detail ?? '', /^exit codes 0 and 0 in all 3 tries/);
    assert.deepEqual(
      report.checks.filter((c) => !c.ok).map((c) => c.name),
      ['two runs at once'],
      'the rest of the job is fine',
    );
  });

  it('catches a job that commits its checkpoint before its data: kill trials find rows missing', async () => {
    const report = await verifyJob({
      target: fixture('jobs/broken-checkpoint-first.ts'),
      args: ['--count', '10000'],
      trials: 8,
    });
    assert.equal(report.ok, false);
    const failed = report.checks.filter((c) => c.name.startsWith('kill trial') && !c.ok);
    assert.ok(failed.length > 0, 'some kill trial fails');
    assert.match(failed[0]?.detail ?? '', /table items: \d+ missing, 0 extra, 0 different \(missing \["/);
  });
});

/** The schemas named in the reference run's line that are still on the server (none once verify returns). */
async function schemasLeft(lines: readonly string[]): Promise<string[]> {
  const prefix = /schemas (ferry_verify_[0-9a-f]{8}_)<n>/.exec(lines.join('\n'))?.[1];
  assert.ok(prefix, `the reference run names its schemas:\n${lines.join('\n')}`);
  const { Client } = await import('pg');
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (
      await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)', [
        prefix,
      ])
    ).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/**
 * `ferry verify` of a long job, sent SIGTERM once its first kill trial ends: how it exited, what
 * it printed, and its TMPDIR (where its SQLite runs live) to look into afterwards.
 */
async function verifyStoppedMidway(env: Record<string, string> = {}) {
  const tmp = await mkdtemp(path.join(tmpdir(), 'ferry-verify-stop-'));
  const args = [
    '--conditions=source',
    path.join(ROOT, 'src/tool/bin.ts'),
    'verify',
    fixture('jobs/counter-import.ts'),
    '--trials',
    '50',
    '--',
    '--count',
    '6000',
    '--pause-ms',
    '5',
  ];
  let signalled = 0;
  // Read to the end (a reader that stopped would break verify's own output): signal once, midway.
  const { code, stdout, stderr } = await runProcess(process.execPath, args, {
    env: { ...process.env, TMPDIR: tmp, ...env },
    onStdout: (out, child) => {
      if (signalled !== 0 || !out.includes('kill trial 1:')) return;
      signalled = performance.now();
      child.kill('SIGTERM');
    },
  });
  after(() => rm(tmp, { recursive: true, force: true }));
  return { code, stdout, stderr, ms: performance.now() - signalled, tmp };
}

/** Processes whose command line mentions `text` (the job runs of a verify, by their database path). */
function processesMentioning(text: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('ferry verify stopped by SIGTERM', () => {
  it('kills the run in progress, removes its databases and exits 130', async () => {
    const stopped = await verifyStoppedMidway();
    assert.equal(stopped.code, 130, stopped.stdout + stopped.stderr);
    assert.match(stopped.stderr, /cancelled by SIGTERM/);
    assert.ok(stopped.ms < 10_000, `exited ${Math.round(stopped.ms)} ms after the signal`);
    assert.doesNotMatch(stopped.stdout, /kill trial 3:/, 'stopped midway, not at the end');
    assert.deepEqual(await readdir(stopped.tmp), [], 'no database left in its TMPDIR');
    assert.deepEqual(processesMentioning(stopped.tmp), [], 'no job run left behind');
  });
});

describe('verifyJob on PostgreSQL (a fresh schema per run)', async () => {
  const why = await postgresUnavailable();
  if (why) {
    it.skip(`verifyJob on PostgreSQL: ${why}`);
    return;
  }

  it('passes a well-behaved job, then leaves no schema behind', async () => {
    const lines: string[] = [];
    const report = await verifyJob({
      target: fixture('jobs/counter-import.ts'),
      args: ['--count', '6000', '--pause-ms', '2'],
      trials: 4,
      concurrent: true,
      databaseUrl: TEST_DATABASE_URL,
      onProgress: (l) => lines.push(l),
    });
    assert.ok(report.ok, lines.join('\n'));
    assert.deepEqual(
      report.checks.map((c) => c.name),
      [
        'reference run',
        'rerun changes nothing',
        ...[1, 2, 3, 4].map((n) => `kill trial ${n}`),
        'SIGTERM trial',
        'two runs at once',
      ],
    );
    assert.match(report.checks[0]?.detail ?? '', /items: 6000 rows/);
    assert.deepEqual(await schemasLeft(lines), []);
  });

  it('catches a job that commits its checkpoint before its data, and still drops its schemas', async () => {
    const lines: string[] = [];
    const report = await verifyJob({
      target: fixture('jobs/broken-checkpoint-first.ts'),
      args: ['--count', '10000'],
      trials: 8,
      databaseUrl: TEST_DATABASE_URL,
      onProgress: (l) => lines.push(l),
    });
    assert.equal(report.ok, false);
    const failed = report.checks.filter((c) => c.name.startsWith('kill trial') && !c.ok);
    assert.ok(failed.length > 0, `some kill trial fails:\n${lines.join('\n')}`);
    assert.match(failed[0]?.detail ?? '', /table items: \d+ missing, 0 extra, 0 different \(missing \["/);
    assert.deepEqual(await schemasLeft(lines), []);
  });

  it('catches a job that inserts without a natural key', async () => {
    const lines: string[] = [];
    const report = await verifyJob({
      target: fixture('jobs/broken-no-key.ts'),
      args: [],
      trials: 1,
      databaseUrl: TEST_DATABASE_URL,
      onProgress: (l) => lines.push(l),
    });
    const rerun = report.checks.find((c) => c.name === 'rerun changes nothing');
    assert.equal(rerun?.ok, false);
    assert.match(rerun?.detail ?? '', /the second run wrote again: .*"inserted":2000/);
    assert.deepEqual(await schemasLeft(lines), []);
  });

  it('stopped by SIGTERM, it still drops every schema it made', async () => {
    const stopped = await verifyStoppedMidway({ DATABASE_URL: TEST_DATABASE_URL });
    assert.equal(stopped.code, 130, stopped.stdout + stopped.stderr);
    assert.deepEqual(await schemasLeft(stopped.stdout.split('\n')), []);
  });

  it("the command takes DATABASE_URL (or --db-url) and refuses a --db-url among the job's flags", async () => {
    const bin = path.join(ROOT, 'src/tool/bin.ts');
    const good = await run(
      process.execPath,
      [
        '--conditions=source',
        bin,
        'verify',
        fixture('jobs/counter-import.ts'),
        '--trials',
        '1',
        '--',
        '--count',
        '2000',
      ],
      { env: { DATABASE_URL: TEST_DATABASE_URL }, timeoutMs: 60_000 },
    );
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /✔ reference run: .*items: 2000 rows \(schemas ferry_verify_/);
    assert.deepEqual(await schemasLeft(good.stdout.split('\n')), []);
    const refused = await run(process.execPath, [
      '--conditions=source',
      bin,
      'verify',
      fixture('jobs/counter-import.ts'),
      '--',
      `--db-url=${TEST_DATABASE_URL}`,
    ]);
    assert.equal(refused.code, 64);
    assert.match(refused.stderr, /leave --db-url out/);
  });
});

describe('ferry verify (the command)', () => {
  const bin = path.join(ROOT, 'src/tool/bin.ts');
  it('exits 0 on a good job and 1 on a broken one, printing a line per check', async () => {
    const good = await run(process.execPath, [
      '--conditions=source',
      bin,
      'verify',
      fixture('jobs/counter-import.ts'),
      '--trials',
      '2',
      '--',
      '--count',
      '2000',
    ]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.equal(good.stdout.trim().split('\n').length, 6);
    const bad = await run(process.execPath, [
      '--conditions=source',
      bin,
      'verify',
      fixture('jobs/broken-no-key.ts'),
      '--trials',
      '1',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /✖ rerun changes nothing/);
    assert.match(bad.stdout, /NOT retry-safe/);
  });

  it('a job that refuses its flags is a usage error, 64, not "NOT retry-safe" (1): a job without a store says so', async () => {
    const verify = (job: string, ...flags: string[]) =>
      run(process.execPath, ['--conditions=source', bin, 'verify', job, '--trials', '1', '--', ...flags]);
    const noStore = await verify(path.join(ROOT, 'examples/hello/hello.ts'), '--name', 'x');
    assert.deepEqual([noStore.code, noStore.stdout], [64, ''], noStore.stderr);
    assert.match(noStore.stderr, /the job has no --db-path: verify proves a job that writes to a database/);
    const badFlag = await verify(fixture('jobs/counter-import.ts'), '--count', 'many');
    assert.equal(badFlag.code, 64, badFlag.stdout + badFlag.stderr);
    assert.match(badFlag.stderr, /exited 64 on its flags, a usage error: fix the flags after -- \(.*--count/);
  });

  it('refuses a --db-path of the user: each run needs a fresh database', async () => {
    const finished = await run(process.execPath, [
      '--conditions=source',
      bin,
      'verify',
      fixture('jobs/counter-import.ts'),
      '--',
      '--db-path',
      'x.db',
    ]);
    assert.equal(finished.code, 64);
  });
});

describe('ferry verify, run and init: usage errors exit 64 with a line that says what is wrong, never 1', () => {
  const bin = path.join(ROOT, 'src/tool/bin.ts');
  const ferry = (...args: string[]) => run(process.execPath, ['--conditions=source', bin, ...args]);
  const job = fixture('jobs/counter-import.ts');

  for (const trials of ['abc', '-1', '2.5']) {
    it(`verify --trials ${trials}: 64, rather than "retry-safe" after no kill trial at all`, async () => {
      const finished = await ferry('verify', job, '--trials', trials, '--', '--count', '10');
      assert.equal(finished.code, 64, finished.stdout + finished.stderr);
      assert.match(finished.stderr, /--trials.*a whole number, 0 or more/);
      assert.doesNotMatch(finished.stdout, /retry-safe/);
    });
  }

  it('verify of a job that does not exist, or a file that is neither a module nor executable: 64 naming it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-verify-usage-'));
    const missing = await ferry('verify', path.join(dir, 'nope.ts'));
    assert.equal(missing.code, 64, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /no job at .*nope\.ts/);
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'not a job\n');
    const plain = await ferry('verify', notes);
    assert.equal(plain.code, 64, plain.stdout + plain.stderr);
    assert.match(plain.stderr, /notes\.txt is neither a job module \(\.ts, \.js\) nor an executable/);
  });

  it('run without a job: 64', async () => {
    const finished = await ferry('run');
    assert.equal(finished.code, 64, finished.stderr);
    assert.match(finished.stderr, /missing required argument 'job'/);
  });

  it('init into a path that is a file: 64 saying so, no stack', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-init-usage-')), 'taken');
    await writeFile(file, 'x');
    const finished = await ferry('init', file);
    assert.equal(finished.code, 64, finished.stderr);
    assert.match(finished.stderr, /taken is a file, not a folder/);
    assert.doesNotMatch(finished.stderr, /\n\s+at /);
  });
});
