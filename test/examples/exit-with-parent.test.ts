// No orphans: a host that is SIGKILLed mid-import (force-quit, crash) takes its job with it within
// 2 s, the job stopping as on SIGTERM (lock released, run recorded cancelled), so the next run
// starts without 75 and ends with the table of a clean run. Without the flag a job outlives a
// parent that exits normally (cron, nohup, a terminal closing its end of the pipes).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { startDemoApi, type DemoApi } from '../../examples/demo-api/demo-api.ts';
import { sidecarFor } from '../helpers/example-job.ts';
import { validateEvent } from '../helpers/protocol.ts';
import type { FerryEvent } from 'ferry';
import { fixture, run, type Finished } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

const RECORDS = 3000;
const freshDb = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-orphan-')), 'orphan.db');

/** Whether a process has ended: no such pid, or a zombie nobody has reaped yet. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

/** How long the process takes to end, up to `limitMs`; Infinity if it is still there. */
async function timeToGo(pid: number, limitMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (isGone(pid)) return performance.now() - started;
    await sleep(10);
  }
  return Infinity;
}

/** The last runs of the job in its own history: how each ended. */
function runs(db: string): { status: string; exit_code: number; error_code: string | null }[] {
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    return database
      .prepare('SELECT status, exit_code, error_code FROM _ferry_runs ORDER BY started_at')
      .all()
      .map((row) => ({ ...row })) as ReturnType<typeof runs>;
  } finally {
    database.close();
  }
}

describe('--exit-with-parent on the built rest-import', () => {
  let api: DemoApi;
  let job: { command: string; args: string[] };
  let clean: Record<string, unknown>[];
  const jobArgs = (db: string, extra: string[] = []) => [
    ...job.args,
    '--api-url',
    api.url,
    '--db-path',
    db,
    '--page-size',
    '100',
    '--log-format',
    'json',
    ...extra,
  ];
  const hosts = {
    node: (mode: string, db: string, extra: string[] = []) =>
      [
        process.execPath,
        ['--conditions=source', fixture('hosts/node-host.ts'), mode, job.command, ...jobArgs(db, extra)],
      ] as const,
    python: (mode: string, db: string, extra: string[] = []) =>
      ['python3', [fixture('hosts/python_host.py'), mode, job.command, ...jobArgs(db, extra)]] as const,
  };

  /** Starts a host, and once it printed its job's pid, calls `then` with it. */
  async function hostRun(
    [command, args]: readonly [string, readonly string[]],
    then: (jobPid: number, host: { kill(signal: NodeJS.Signals): void }) => void,
    env: Record<string, string> = {},
  ): Promise<{ finished: Finished; jobPid: number }> {
    let jobPid = 0;
    const finished = await run(command, args, {
      env,
      timeoutMs: 60_000,
      onOutput: (stdout, child) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{"pid"'));
        if (jobPid !== 0 || line === undefined) return;
        jobPid = (JSON.parse(line) as { pid: number }).pid;
        then(jobPid, child);
      },
    });
    assert.ok(jobPid > 0, `the host printed its job's pid: ${finished.stderr}`);
    return { finished, jobPid };
  }

  async function rerunMatchesClean(db: string): Promise<void> {
    const next = await run(job.command, jobArgs(db), { env: { PATH: '/nonexistent' }, timeoutMs: 60_000 });
    assert.equal(next.code, 0, `the next run starts without 75: ${next.stderr}`);
    assert.deepEqual(tableRows(db, 'items', 'id'), clean);
  }

  before(async () => {
    api = await startDemoApi({ records: RECORDS, delayMs: 60 });
    job = await sidecarFor('rest-import');
    const db = await freshDb();
    const finished = await run(job.command, jobArgs(db, ['--page-size', '1000']), { timeoutMs: 60_000 });
    assert.equal(finished.code, 0, finished.stderr);
    clean = tableRows(db, 'items', 'id');
    assert.equal(clean.length, RECORDS);
  });

  after(() => api?.close());

  const killed: [string, () => Promise<string>, string[]][] = [
    ['a Node host using ferry/host (flag added by startJob)', freshDb, []],
    ['a Python host with pipes and --exit-with-parent', freshDb, ['--exit-with-parent']],
    ['a Python host, stdin from /dev/null: the parent pid alone (EXIT_WITH_PARENT=true)', freshDb, []],
  ];
  for (const [name, dbFor, flag] of killed) {
    it(`${name}, SIGKILLed mid-import: the job is gone within 2 s and the next run completes`, async (t) => {
      const db = await dbFor();
      const host = name.startsWith('a Node')
        ? hosts.node('stay', db)
        : hosts.python(name.includes('/dev/null') ? 'stay-devnull' : 'stay', db, flag);
      let gone = Promise.resolve(Infinity);
      const byEnv = name.includes('EXIT_WITH_PARENT=true') ? { EXIT_WITH_PARENT: 'true' } : {};
      const { jobPid } = await hostRun(
        host,
        (pid, child) => {
          child.kill('SIGKILL');
          gone = timeToGo(pid, 5000);
        },
        byEnv,
      );
      const ms = await gone;
      assert.ok(ms < 2000, `job ${jobPid} gone after ${Math.round(ms)} ms`);
      t.diagnostic(`the job was gone ${Math.round(ms)} ms after its host was killed`);
      assert.deepEqual(runs(db), [{ status: 'cancelled', exit_code: 130, error_code: 'PARENT_GONE' }]);
      await rerunMatchesClean(db);
    });
  }

  it('a host that closes the stdin pipe: the job stops as on SIGTERM and its result line says so', async () => {
    const db = await freshDb();
    const { finished } = await hostRun(hosts.python('close-stdin', db, ['--exit-with-parent']), () => {});
    assert.equal(finished.code, 130, finished.stderr);
    const result = JSON.parse(finished.stdout.trim().split('\n').at(-1) ?? '') as FerryEvent;
    validateEvent(result);
    assert.ok(result.type === 'result');
    assert.deepEqual([result.status, result.exitCode, result.error?.code], ['cancelled', 130, 'PARENT_GONE']);
    await rerunMatchesClean(db);
  });

  it('EXIT_WITH_PARENT=true, stdin from /dev/null, the parent alive throughout: the job completes', async () => {
    const db = await freshDb();
    const finished = await run(job.command, jobArgs(db), {
      env: { PATH: '/nonexistent', EXIT_WITH_PARENT: 'true' },
      timeoutMs: 60_000,
    });
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(tableRows(db, 'items', 'id'), clean);
  });

  for (const [name, host] of [
    ['a Python host', (db: string) => hosts.python('leave', db)],
    ['a Node host using ferry/host with exitWithParent: false', (db: string) => hosts.node('leave', db)],
  ] as const) {
    it(`flag off, ${name} that exits normally mid-import: the job goes on to completion`, async () => {
      const db = await freshDb();
      const { jobPid } = await hostRun(host(db), () => {});
      assert.ok(!isGone(jobPid), 'the job outlived its host');
      assert.ok((await timeToGo(jobPid, 30_000)) < Infinity, 'the job ended');
      assert.deepEqual(runs(db), [{ status: 'succeeded', exit_code: 0, error_code: null }]);
      assert.deepEqual(tableRows(db, 'items', 'id'), clean);
    });
  }
});
