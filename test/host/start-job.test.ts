import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runWithRetry, startJob, type FerryEvent, type JobLine } from 'ferry/host';
import { validateEvent } from '../helpers/protocol.ts';
import { fixture } from '../helpers/spawn.ts';

// The jobs run from source on the Node running the tests; a built binary is started the same way.
const NODE = process.execPath;
const jobArgs = (name: string) => ['--conditions=source', fixture(`jobs/${name}.ts`)];
const freshDb = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-host-')), 'h.db');

async function collect(lines: AsyncIterable<JobLine>): Promise<JobLine[]> {
  const out: JobLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('startJob', () => {
  it('events arrive in order and the result agrees with the exit code', async () => {
    const handle = startJob(NODE, {
      args: jobArgs('counter-import'),
      config: { dbPath: await freshDb(), count: 3000, pauseMs: 5 },
    });
    const lines = await collect(handle.lines);
    const events = lines.flatMap((l) => (l.kind === 'event' ? [l.event] : []));
    for (const event of events) validateEvent(event);
    assert.equal(events[0]?.type, 'start');
    assert.equal(events.at(-1)?.type, 'result');
    const done = events
      .filter((e): e is Extract<FerryEvent, { type: 'progress' }> => e.type === 'progress')
      .map((e) => e.done);
    assert.ok(done.length >= 2, 'progress is reported');
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'progress only goes forward',
    );
    const result = await handle.result;
    assert.deepEqual(
      [result.status, result.exitCode, result.retryable, result.counts.inserted],
      ['succeeded', 0, false, 3000],
    );
  });

  it('a permanent failure: exit 65, not retryable, with the error', async () => {
    const result = await startJob(NODE, {
      args: jobArgs('echo-config'),
      config: { behaviour: 'permanent' },
      secrets: { apiKey: 'host-secret-1' },
    }).result;
    assert.deepEqual(
      [result.status, result.exitCode, result.retryable, result.error?.code],
      ['failed', 65, false, 'AUTH_REJECTED'],
    );
  });

  it('secrets travel in the environment, never on the command line', async () => {
    const handle = startJob(NODE, {
      args: jobArgs('echo-config'),
      config: { behaviour: 'wait' },
      secrets: { apiKey: 'host-secret-2' },
    });
    for await (const event of handle.events) if (event.type === 'progress') break;
    const cmdline = await readFile(`/proc/${handle.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes('host-secret-2'), cmdline);
    assert.match(cmdline, /--behaviour\0wait/);
    assert.equal((await handle.cancel()).status, 'cancelled');
  });

  it('cancel leaves a checkpoint the next run resumes from', async () => {
    const dbPath = await freshDb();
    const config = { dbPath, count: 20000, batchSize: 500, pauseMs: 10 };
    const first = startJob(NODE, { args: jobArgs('counter-import'), config });
    for await (const event of first.events) if (event.type === 'progress' && event.done >= 3000) break;
    const cancelled = await first.cancel();
    assert.deepEqual([cancelled.status, cancelled.exitCode, cancelled.retryable], ['cancelled', 130, false]);
    const second = await startJob(NODE, { args: jobArgs('counter-import'), config: { ...config, pauseMs: 0 } }).result;
    assert.equal(second.status, 'succeeded');
    assert.ok(second.counts.read < 20000 && second.counts.read > 0, `resumed: read ${second.counts.read} of 20000`);
    assert.equal(
      second.counts.inserted + second.counts.unchanged,
      second.counts.read,
      'rows past the checkpoint are found unchanged',
    );
  });

  it('a SIGKILLed job is reported failed with retryable true', async () => {
    const handle = startJob(NODE, {
      args: jobArgs('counter-import'),
      config: { dbPath: await freshDb(), pauseMs: 20 },
    });
    for await (const event of handle.events) if (event.type === 'progress') break;
    assert.ok(handle.pid !== undefined);
    process.kill(handle.pid, 'SIGKILL');
    const result = await handle.result;
    assert.deepEqual(
      [result.status, result.exitCode, result.signal, result.retryable, result.error?.code],
      ['failed', null, 'SIGKILL', true, 'KILLED'],
    );
  });

  it('lines that are not events are surfaced as text, not lost', async () => {
    const handle = startJob(NODE, {
      args: ['-e', 'console.log("plain text"); console.error("on stderr"); process.exit(3)', '--'],
    });
    const lines = await collect(handle.lines);
    assert.deepEqual(lines, [
      { kind: 'text', stream: 'stdout', line: 'plain text' },
      { kind: 'text', stream: 'stderr', line: 'on stderr' },
    ]);
    const result = await handle.result;
    assert.deepEqual([result.status, result.exitCode, result.error?.code], ['failed', 3, 'NO_RESULT']);
  });

  it('a job that starts a run and exits 0 without its result is reported failed, retryable, not succeeded', async () => {
    const start = JSON.stringify({
      v: 1,
      ts: new Date().toISOString(),
      type: 'start',
      job: 'j',
      version: '1',
      ferry: '0.1.0',
      runId: 'r1',
      pid: 1,
      dryRun: false,
    });
    const handle = startJob(NODE, { args: ['-e', `console.log(${JSON.stringify(start)})`, '--'] });
    const result = await handle.result;
    assert.deepEqual(
      [result.status, result.exitCode, result.retryable, result.error?.code],
      ['failed', 0, true, 'NO_RESULT'],
    );
    assert.match(result.error?.message ?? '', /started a run and exited 0 without its result/);
  });

  it('an executable that cannot start (missing, a folder, in a missing cwd): failed, not retryable, no retry', async () => {
    const missingDir = path.join(path.dirname(await freshDb()), 'gone');
    const cases: [string, Parameters<typeof startJob>[1], RegExp][] = [
      ['/nonexistent/ferry-job', {}, /ENOENT: the executable does not exist/],
      [tmpdir(), {}, /EACCES: it is not an executable file/],
      [NODE, { cwd: missingDir }, new RegExp(`or the working directory ${missingDir}, does not exist`)],
    ];
    for (const [executable, options, message] of cases) {
      let starts = 0;
      const result = await runWithRetry(
        () => {
          starts++;
          return startJob(executable, { ...options, key: null });
        },
        { baseMs: 1 },
      );
      assert.deepEqual(
        [result.status, result.exitCode, result.retryable, result.error?.code, result.error?.retryable, starts],
        ['failed', null, false, 'SPAWN_FAILED', false, 1],
        executable,
      );
      assert.match(result.error?.message ?? '', message);
    }
  });

  it('a second start of the same job while one runs returns the running handle', async () => {
    const options = { args: jobArgs('counter-import'), config: { dbPath: await freshDb(), pauseMs: 10 } };
    const a = startJob(NODE, options);
    const b = startJob(NODE, options);
    assert.equal(a, b);
    await a.cancel();
    const c = startJob(NODE, options);
    assert.notEqual(c, a, 'a new run once the first ended');
    await c.cancel();
  });
});

describe('runWithRetry', () => {
  it('retries a 75 with backoff until the attempts run out', async () => {
    const dbPath = await freshDb();
    const retries: number[] = [];
    const result = await runWithRetry(
      () => startJob(NODE, { args: jobArgs('counter-import'), config: { dbPath, count: 100, failAt: 50 } }),
      {
        attempts: 3,
        baseMs: 10,
        onRetry: ({ attempt }) => retries.push(attempt),
      },
    );
    assert.deepEqual([result.exitCode, result.retryable, retries], [75, true, [1, 2]]);
  });

  it('aborted while it waits to retry: returns the failed result at once, no further start', async () => {
    const dbPath = await freshDb();
    const controller = new AbortController();
    let starts = 0;
    const result = await runWithRetry(
      () => (starts++, startJob(NODE, { args: jobArgs('counter-import'), config: { dbPath, count: 10, failAt: 5 } })),
      { baseMs: 600_000, maxMs: 600_000, signal: controller.signal, onRetry: () => controller.abort() },
    );
    assert.deepEqual([result.exitCode, result.retryable, starts], [75, true, 1]);
  });

  it('never retries 64 or 65', async () => {
    for (const [config, code] of [
      [{ behaviour: 'permanent' }, 65],
      [{ pageSize: 0 }, 64],
    ] as const) {
      let starts = 0;
      const result = await runWithRetry(
        () => (starts++, startJob(NODE, { args: jobArgs('echo-config'), config, secrets: { apiKey: 'k-123' } })),
        { baseMs: 1 },
      );
      assert.deepEqual([result.exitCode, starts], [code, 1]);
    }
  });

  it('a retried run resumes and succeeds', async () => {
    const dbPath = await freshDb();
    let starts = 0;
    // The first run fails at record 1500 (after committing batches); the second has no fault.
    const result = await runWithRetry(
      () =>
        startJob(NODE, {
          args: jobArgs('counter-import'),
          config: { dbPath, count: 3000, batchSize: 500, ...(starts++ === 0 ? { failAt: 1500 } : {}) },
          key: `retry-${starts}`,
        }),
      { baseMs: 1 },
    );
    assert.deepEqual([result.status, starts], ['succeeded', 2]);
    assert.ok(
      result.counts.read > 0 && result.counts.read <= 1750,
      `the second run started at the committed checkpoint (read ${result.counts.read})`,
    );
  });
});
