// cancel() from ferry/host against the built rest-import importing from a slow API: whenever the
// host asks, even before the job has installed its signal handlers, the run ends cancelled and no
// Retry is offered; a kill nobody asked for stays a retryable failure.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startJob, type JobResult, type StartOptions } from 'ferry/host';
import { startDemoApi, type DemoApi } from '../../examples/demo-api/demo-api.ts';
import { sidecarFor } from '../helpers/example-job.ts';
import { tableRows } from './sqlite-rows.ts';

const RECORDS = 3000;
const freshDb = async () => path.join(await mkdtemp(path.join(tmpdir(), 'ferry-cancel-')), 'cancel.db');
const summary = (r: JobResult) => ({ status: r.status, retryable: r.retryable, code: r.error?.code });

describe('cancel() on the built rest-import', () => {
  let api: DemoApi;
  let sidecar: { command: string; args: string[] };
  let clean: Record<string, unknown>[];

  const start = (dbPath: string, extra: Partial<StartOptions> = {}) =>
    startJob(sidecar.command, {
      args: sidecar.args,
      config: { apiUrl: api.url, dbPath, pageSize: 100 },
      env: { PATH: '/nonexistent' },
      key: null,
      ...extra,
    });

  before(async () => {
    api = await startDemoApi({ records: RECORDS, delayMs: 60 });
    sidecar = await sidecarFor('rest-import');
    const db = await freshDb();
    const result = await start(db, { config: { apiUrl: api.url, dbPath: db, pageSize: 500 } }).result;
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    clean = tableRows(db, 'items', 'id');
    assert.equal(clean.length, RECORDS);
  });

  after(() => api?.close());

  for (const delayMs of [0, 5, 50, 500]) {
    it(`${delayMs} ms after startJob: cancelled, not retryable; the next run completes the table`, async () => {
      const db = await freshDb();
      const handle = start(db);
      if (delayMs > 0) await sleep(delayMs);
      const cancelled = await handle.cancel();
      assert.deepEqual(summary(cancelled), { status: 'cancelled', retryable: false, code: 'CANCELLED' });
      assert.deepEqual(summary(await handle.result), summary(cancelled), 'result and cancel() agree');
      const next = await start(db).result;
      assert.equal(next.status, 'succeeded', `the lock was released: ${next.error?.message}`);
      assert.deepEqual(tableRows(db, 'items', 'id'), clean);
    });
  }

  it('an already aborted signal: cancelled at once', async () => {
    const result = await start(await freshDb(), { signal: AbortSignal.abort() }).result;
    assert.deepEqual(summary(result), { status: 'cancelled', retryable: false, code: 'CANCELLED' });
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal} at once from someone else, not cancel(): a retryable failure`, async () => {
      const handle = start(await freshDb());
      assert.ok(handle.pid !== undefined);
      process.kill(handle.pid, signal); // before the job's handlers: the signal's default action kills it
      const result = await handle.result;
      assert.deepEqual(summary(result), { status: 'failed', retryable: true, code: 'KILLED' });
    });
  }
});
