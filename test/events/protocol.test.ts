import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError,
  defineJob,
  MemoryReporter,
  PermanentError,
  RetryableError,
  runJob,
  type FerryEvent,
  type Job,
} from 'ferry';
import { main } from '../../src/cli/main.ts';
import { JsonReporter } from '../../src/events/json-reporter.ts';
import { runJobFromCli } from '../../src/job/run-job.ts';
import { Redactor } from '../../src/secrets/redact.ts';
import { fakeIO } from '../helpers/fake-io.ts';
import { parseEventLines, validateEvent } from '../helpers/protocol.ts';

type JobRun = Job['run'];
const job = (run: JobRun) =>
  defineJob({ name: 'protocol-test', version: '2.0.0', description: 'protocol test', config: {}, run });
const tick = () => new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop

/** Runs a job in-process; every event must be valid and the sequence must parse as a job's stdout would. */
async function runCollecting(
  run: JobRun,
  options: { signal?: AbortSignal; onEvent?: (e: FerryEvent) => void; dryRun?: boolean } = {},
) {
  const reporter = new MemoryReporter();
  const tap = { emit: (e: FerryEvent) => (reporter.emit(e), options.onEvent?.(e)) };
  const result = await runJob(
    job(run),
    {},
    { reporter: tap, ...(options.signal ? { signal: options.signal } : {}), dryRun: options.dryRun ?? false },
  );
  for (const event of reporter.events) validateEvent(event);
  const parsed = parseEventLines(reporter.events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  assert.deepEqual(parsed, reporter.events, 'every event survives JSON unchanged');
  const last = reporter.events.at(-1);
  assert.ok(last?.type === 'result');
  return { reporter, result, last };
}

describe('the events of in-process runs match the schema', () => {
  it('a successful run: start, logs with fields, progress, result', async () => {
    const { reporter, result, last } = await runCollecting(async (ctx) => {
      ctx.log.debug('filtered out at the default level');
      ctx.log.info('fetching', {
        page: 1,
        url: 'https://api.example.test',
        nested: { a: [1, 2] },
        type: 'reserved',
        msg: 'reserved',
      });
      for (let i = 0; i <= 50; i++) {
        ctx.progress('fetch', i, 50);
        ctx.count('read');
      }
      ctx.progress('write', 7);
      ctx.count('inserted', 40);
      ctx.count('unchanged', 10);
      ctx.log.warn('one record skipped', { id: 'r-9' });
    });
    assert.deepEqual(
      reporter.events.map((e) => e.type),
      ['start', 'log', ...reporter.ofType('progress').map(() => 'progress'), 'log', 'result'],
    );
    assert.deepEqual(reporter.ofType('log')[0], {
      ...reporter.ofType('log')[0],
      _type: 'reserved',
      _msg: 'reserved',
      msg: 'fetching',
    });
    const fetch = reporter.ofType('progress').filter((p) => p.phase === 'fetch');
    assert.deepEqual(fetch.at(-1), { ...fetch.at(-1), done: 50, total: 50 }, 'the final progress line is always sent');
    assert.ok(fetch.length < 51, 'progress is rate-limited');
    assert.deepEqual([last.status, last.exitCode, last.error], ['succeeded', 0, undefined]);
    assert.deepEqual(last.counts, { read: 51, inserted: 40, updated: 0, unchanged: 10, deleted: 0, rejected: 0 });
    assert.equal(result.runId, reporter.ofType('start')[0]?.runId);
  });

  it('a dry run says so in start and result', async () => {
    const { reporter, last } = await runCollecting(() => {}, { dryRun: true });
    assert.deepEqual([reporter.ofType('start')[0]?.dryRun, last.dryRun], [true, true]);
  });

  it('a PermanentError: failed, exit 65, an error-level log line and the error in the result', async () => {
    const { reporter, last } = await runCollecting((ctx) => {
      ctx.count('read', 2);
      throw new PermanentError('row 2 has no id', { code: 'BAD_ROW' });
    });
    assert.deepEqual(
      [last.status, last.exitCode, last.error],
      ['failed', 65, { code: 'BAD_ROW', message: 'row 2 has no id', retryable: false }],
    );
    assert.equal(last.counts.read, 2);
    assert.ok(reporter.ofType('log').some((e) => e.level === 'error' && e.code === 'BAD_ROW'));
  });

  it('a RetryableError: failed, exit 75, retryable', async () => {
    const { last } = await runCollecting(() => Promise.reject(new RetryableError('503')));
    assert.deepEqual([last.status, last.exitCode, last.error?.retryable], ['failed', 75, true]);
  });

  it('a bug: failed, exit 1, code UNEXPECTED, a stack in the log line', async () => {
    const { reporter, last } = await runCollecting(() => {
      throw new TypeError('x is undefined');
    });
    assert.deepEqual([last.status, last.exitCode, last.error?.code], ['failed', 1, 'UNEXPECTED']);
    assert.match(String(reporter.ofType('log').find((e) => e.level === 'error')?.stack), /TypeError: x is undefined/);
  });

  it('cancelled mid-run by an AbortController: cancelled, exit 130', async () => {
    const controller = new AbortController();
    let iterations = 0;
    const { reporter, last } = await runCollecting(
      async (ctx) => {
        for (;;) {
          ctx.throwIfCancelled();
          ctx.progress('wait', iterations++);
          await tick();
        }
      },
      {
        signal: controller.signal,
        onEvent: (e) => e.type === 'progress' && controller.abort(new CancelledError('host asked to stop')),
      },
    );
    assert.equal(iterations, 1, 'the job stopped at the next check');
    assert.deepEqual(
      [last.status, last.exitCode, last.error],
      ['cancelled', 130, { code: 'CANCELLED', message: 'host asked to stop', retryable: false }],
    );
    assert.ok(reporter.ofType('log').some((e) => e.level === 'warn' && e.msg === 'run cancelled: host asked to stop'));
  });

  it('cancelled while the job throws something else: still cancelled', async () => {
    const controller = new AbortController();
    const { last } = await runCollecting(
      async (ctx) => {
        ctx.progress('fetch', 0);
        await tick();
        throw new Error('socket closed');
      },
      { signal: controller.signal, onEvent: (e) => e.type === 'progress' && controller.abort() },
    );
    assert.deepEqual([last.status, last.exitCode, last.error?.code], ['cancelled', 130, 'CANCELLED']);
  });

  it('the JSON lines parse and validate; error lines are copied to stderr', async () => {
    let stdout = '';
    let stderr = '';
    const reporter = new JsonReporter({
      stdout: { write: (s: string) => void (stdout += s) },
      stderr: { write: (s: string) => void (stderr += s) },
    });
    const redactor = new Redactor(['s3cr3t-token']);
    await runJobFromCli(
      job((ctx) => {
        ctx.log.info('hello', { level: 'not the level', token: 's3cr3t-token', when: new Date(0) });
        ctx.progress('fetch', 1, 1);
        throw new PermanentError('token s3cr3t-token was rejected');
      }),
      {},
      { reporter, redactor },
    );
    const events = parseEventLines(stdout);
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'log', 'progress', 'log', 'result'],
    );
    assert.match(stdout.split('\n')[1] ?? '', /^\{"v":1,"ts":"[^"]+","type":"log","level":"info","msg":"hello",.*\}$/);
    assert.ok(!stdout.includes('s3cr3t-token') && stdout.includes('[redacted]'));
    const copies = stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    for (const copy of copies) validateEvent(copy);
    assert.deepEqual(
      copies,
      events.filter((e) => e.type === 'log' && e.level === 'error'),
    );
  });

  it('a config error: a lone result with runId "" and exit 64', async () => {
    const { io, stdout } = fakeIO();
    const needsKey = defineJob({
      name: 'needs-key',
      version: '1.0.0',
      description: 'd',
      config: { apiKey: { type: 'string', required: true, description: 'k' } },
      run() {},
    });
    assert.equal(await main(needsKey, io), 64);
    const events = parseEventLines(stdout());
    assert.equal(events.length, 1);
    assert.deepEqual(events[0], { ...events[0], type: 'result', runId: '', status: 'failed', exitCode: 64 });
  });
});

describe('the schema rejects what the protocol forbids', () => {
  const ts = '2026-01-02T03:04:05.678Z';
  const counts = { read: 3, inserted: 1, updated: 1, unchanged: 1, deleted: 0, rejected: 0 };
  const good = {
    start: {
      v: 1,
      ts,
      type: 'start',
      job: 'j',
      version: '1.0.0',
      ferry: '0.1.0',
      runId: 'r-1',
      pid: 42,
      dryRun: false,
    },
    log: { v: 1, ts, type: 'log', level: 'info', msg: 'hi', anything: { goes: true } },
    progress: { v: 1, ts, type: 'progress', phase: 'fetch', done: 3, total: 10 },
    schema: {
      v: 1,
      ts,
      type: 'schema',
      table: 'orders',
      change: 'altered',
      columns: [{ name: 'amount', type: 'numeric', sqlType: 'NUMERIC' }],
    },
    succeeded: {
      v: 1,
      ts,
      type: 'result',
      job: 'j',
      runId: 'r-1',
      status: 'succeeded',
      exitCode: 0,
      dryRun: false,
      counts,
      durationMs: 12,
    },
    failed: {
      v: 1,
      ts,
      type: 'result',
      job: 'j',
      runId: 'r-1',
      status: 'failed',
      exitCode: 65,
      dryRun: false,
      counts,
      durationMs: 12,
      error: { code: 'BAD_ROW', message: 'row 2', retryable: false },
    },
    config: {
      v: 1,
      ts,
      type: 'result',
      job: 'j',
      runId: '',
      status: 'failed',
      exitCode: 64,
      dryRun: false,
      counts,
      durationMs: 0,
      error: { code: 'CONFIG_MISSING', message: 'missing --api-key', retryable: false },
    },
    cancelled: {
      v: 1,
      ts,
      type: 'result',
      job: 'j',
      runId: 'r-1',
      status: 'cancelled',
      exitCode: 130,
      dryRun: false,
      counts,
      durationMs: 12,
      error: { code: 'CANCELLED', message: 'received SIGTERM', retryable: false },
    },
  };
  const without = <T extends object>(value: T, key: keyof T): Omit<T, typeof key> =>
    Object.fromEntries(Object.entries(value).filter(([k]) => k !== key)) as Omit<T, typeof key>;

  for (const [name, event] of Object.entries(good)) {
    it(`accepts a valid ${name} event`, () => validateEvent(event));
  }

  const bad: [string, unknown, RegExp][] = [
    ['a result without counts', without(good.succeeded, 'counts'), /counts/],
    ['a log line without msg', without(good.log, 'msg'), /msg/],
    ['an unknown type', { ...good.log, type: 'heartbeat' }, /type/],
    ['a failed result without error', without(good.failed, 'error'), /error/],
    ['a cancelled result without error', without(good.cancelled, 'error'), /error/],
    ['v: 2', { ...good.log, v: 2 }, /\/v /],
    ['v missing', without(good.start, 'v'), /v/],
    ['a ts that is not a date-time', { ...good.progress, ts: '2026-01-02 03:04:05' }, /\/ts/],
    ['a log level that is not one of the four', { ...good.log, level: 'trace' }, /level/],
    ['a succeeded result with an error', { ...good.succeeded, error: good.failed.error }, /error/],
    ['a succeeded result with exit code 65', { ...good.succeeded, exitCode: 65 }, /exitCode/],
    ['a failed result with exit code 0', { ...good.failed, exitCode: 0 }, /exitCode/],
    ['a cancelled result with exit code 75', { ...good.cancelled, exitCode: 75 }, /exitCode/],
    ['an exit code outside the table', { ...good.failed, exitCode: 2 }, /exitCode/],
    ['an unknown status', { ...good.failed, status: 'crashed' }, /status/],
    ['an empty runId outside a config failure', { ...good.failed, runId: '' }, /exitCode/],
    ['counts with an extra kind', { ...good.succeeded, counts: { ...counts, skipped: 1 } }, /skipped/],
    ['counts missing a kind', { ...good.succeeded, counts: without(counts, 'rejected') }, /rejected/],
    ['a negative count', { ...good.succeeded, counts: { ...counts, read: -1 } }, /read/],
    ['a fractional count', { ...good.succeeded, counts: { ...counts, read: 1.5 } }, /read/],
    ['a negative duration', { ...good.succeeded, durationMs: -1 }, /durationMs/],
    ['an error without retryable', { ...good.failed, error: { code: 'X', message: 'm' } }, /retryable/],
    ['an extra field on a result', { ...good.succeeded, extra: 1 }, /extra/],
    ['an extra field on a start', { ...good.start, host: 'h' }, /host/],
    ['a start with an empty runId', { ...good.start, runId: '' }, /runId/],
    ['a progress without done', without(good.progress, 'done'), /done/],
    ['a negative progress', { ...good.progress, done: -1 }, /done/],
    ['a progress with a fractional total', { ...good.progress, total: 2.5 }, /total/],
    ['an extra field on a progress', { ...good.progress, percent: 30 }, /percent/],
    ['a schema change that is neither created nor altered', { ...good.schema, change: 'dropped' }, /change/],
    ['a schema event without columns', { ...good.schema, columns: [] }, /columns/],
    [
      'a schema column of a type ferry has not',
      { ...good.schema, columns: [{ name: 'a', type: 'varchar', sqlType: 'X' }] },
      /type/,
    ],
    ['a schema column without its sqlType', { ...good.schema, columns: [{ name: 'a', type: 'text' }] }, /sqlType/],
    ['not an object', 'result', /type/],
    ['null', null, /type/],
  ];
  for (const [name, event, mentions] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => validateEvent(event),
        (error: Error) => {
          assert.match(error.message, mentions);
          assert.ok(error.message.includes(JSON.stringify(event)), 'the message shows the line');
          return true;
        },
      );
    });
  }
});

describe('parseEventLines checks a whole stdout', () => {
  const ts = '2026-01-02T03:04:05.678Z';
  const counts = { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 };
  const start = JSON.stringify({
    v: 1,
    ts,
    type: 'start',
    job: 'j',
    version: '1',
    ferry: '0.1.0',
    runId: 'r',
    pid: 1,
    dryRun: false,
  });
  const log = JSON.stringify({ level: 'info', v: 1, ts, type: 'log', msg: 'hi' });
  const result = JSON.stringify({
    v: 1,
    ts,
    type: 'result',
    job: 'j',
    runId: 'r',
    status: 'succeeded',
    exitCode: 0,
    dryRun: false,
    counts,
    durationMs: 1,
  });
  const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');

  it('accepts start, log, result with or without a final newline', () => {
    assert.deepEqual(
      parseEventLines(lines(start, log, result)).map((e) => e.type),
      ['start', 'log', 'result'],
    );
    assert.equal(parseEventLines(lines(start, log, result).trimEnd()).length, 3);
  });

  const bad: [string, string, RegExp][] = [
    ['empty output', '', /exactly one result event, got 0/],
    ['no result', lines(start, log), /exactly one result event, got 0/],
    ['two results', lines(start, result, result), /exactly one result event, got 2/],
    ['a result that is not last', lines(start, result, log), /not the last/],
    ['a line that is not JSON', lines(start, 'Warning: something', result), /line 2 is not JSON.*Warning: something/],
    ['an empty line in the middle', lines(start, '', result), /line 2 is not JSON/],
    [
      'an invalid event',
      lines(start, JSON.stringify({ v: 1, ts, type: 'log', level: 'info' }), result),
      /line 2: invalid ferry event: .*msg/,
    ],
    ['a start that is not first', lines(log, start, result), /start event is line 2/],
    [
      'a result whose runId is not the start one',
      lines(start, result.replace('"runId":"r"', '"runId":"other"')),
      /runId/,
    ],
    ['no start for a run that had one', lines(log, result), /no start event/],
  ];
  for (const [name, stdout, message] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => parseEventLines(stdout), message));
  }
});
