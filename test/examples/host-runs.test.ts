// ferry/host driving the built file-import as an app would: what the host is told must be what
// happened, for every run it starts.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { startJob, type HostConfig, type StartOptions } from 'ferry/host';
import { sidecarFor } from '../helpers/example-job.ts';
import { tableRows } from './sqlite-rows.ts';

const ROWS = 20_000;

describe('ferry/host on the built file-import', () => {
  let sidecar: { command: string; args: string[] };
  let dir: string;
  const start = (config: HostConfig, extra: Partial<StartOptions> = {}) =>
    startJob(sidecar.command, { args: sidecar.args, config, env: { PATH: '/nonexistent' }, ...extra });

  before(async () => {
    sidecar = await sidecarFor('file-import');
    dir = await mkdtemp(path.join(tmpdir(), 'ferry-host-runs-'));
    for (const name of ['a', 'b']) {
      const lines = Array.from({ length: ROWS }, (_, i) => `${i},${name}${i}`);
      await writeFile(path.join(dir, `${name}.csv`), `id,name\n${lines.join('\n')}\n`);
    }
  });

  it('two imports of different files into different databases at once: both run, each told its own result', async () => {
    const config = (name: string) => ({
      file: path.join(dir, `${name}.csv`),
      dbPath: path.join(dir, `${name}.db`),
      key: 'id',
    });
    const a = start(config('a'));
    const b = start(config('b'));
    assert.notEqual(a, b, 'another file is another run');
    const [ra, rb] = await Promise.all([a.result, b.result]);
    assert.deepEqual(
      [ra.status, ra.counts.inserted, rb.status, rb.counts.inserted],
      ['succeeded', ROWS, 'succeeded', ROWS],
    );
    assert.notEqual(ra.runId, rb.runId);
    assert.equal(tableRows(path.join(dir, 'b.db'), 'b', 'id').length, ROWS, 'b was imported');
  });

  it('the very same import started twice while it runs shares one handle', async () => {
    const config = { file: path.join(dir, 'a.csv'), dbPath: path.join(dir, 'same.db'), key: 'id' };
    const a = start(config);
    assert.equal(start(config), a);
    assert.equal((await a.result).status, 'succeeded');
  });

  it('events and lines read at once, and a loop resumed after a break: each gets every line', async () => {
    const handle = start({ file: path.join(dir, 'a.csv'), dbPath: path.join(dir, 'readers.db'), batchSize: 1000 });
    const readAll = async <T>(items: AsyncIterable<T>) => {
      const out: T[] = [];
      for await (const item of items) out.push(item);
      return out;
    };
    // A progress bar that waits for the first progress, then follows the rest in a second loop.
    const bar = (async () => {
      const seen: string[] = [];
      for await (const event of handle.events) {
        seen.push(event.type);
        if (event.type === 'progress') break;
      }
      for await (const event of handle.events) seen.push(event.type);
      return seen;
    })();
    const [events, lines, barSeen, result] = await Promise.all([
      readAll(handle.events),
      readAll(handle.lines),
      bar,
      handle.result,
    ]);
    assert.equal(result.status, 'succeeded');
    const types = events.map((e) => e.type);
    assert.deepEqual([types[0], types.at(-1)], ['start', 'result']);
    assert.ok(types.includes('progress'), types.join());
    assert.deepEqual(
      lines.flatMap((l) => (l.kind === 'event' ? [l.event.type] : [])),
      types,
      'lines carry the same events',
    );
    assert.deepEqual(barSeen, types, 'the loop after the break goes on where the first stopped');
  });
});
