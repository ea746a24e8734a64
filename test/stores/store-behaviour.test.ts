// The promises every store keeps, run against each store from the same code.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import type { FerryEvent } from 'ferry';
import { parseEventLines } from '../helpers/protocol.ts';
import { fixture, runJobFile, type Finished, type SpawnOptions } from '../helpers/spawn.ts';
import { targets, type Database } from './targets.ts';

const JOB = fixture('jobs/counter-import.ts');
const PEOPLE = fixture('jobs/people-import.ts');
const NAME = 'counter-import';
// `npm run test:soak` runs many more: FERRY_KILL_TRIALS=200.
const KILL_TRIALS = Number(process.env.FERRY_KILL_TRIALS ?? 25);

function resultOf(finished: Finished): Extract<FerryEvent, { type: 'result' }> {
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', `a result line is last:\n${finished.stdout}\n${finished.stderr}`);
  return result;
}

async function snapshot(db: Database) {
  return { items: await db.rows('items', 'id'), checkpoint: await db.checkpoint(NAME) };
}

for (const target of targets) {
  describe(`${target.name} store`, async () => {
    const why = await target.unavailable();
    if (why) {
      it.skip(`${target.name} store tests: ${why}`);
      return;
    }
    const importInto = (db: Database, args: string[] = [], options: SpawnOptions = {}) =>
      runJobFile(JOB, [...db.args, ...args], options);

    it('a second run on the same input reports 0 inserted, 0 updated, N unchanged and changes nothing', async () => {
      const db = await target.fresh();
      const first = resultOf(await importInto(db, ['--count', '5000']));
      assert.deepEqual(first.counts, { read: 5000, inserted: 5000, updated: 0, unchanged: 0, deleted: 0, rejected: 0 });
      const before = await snapshot(db);
      const second = resultOf(await importInto(db, ['--count', '5000']));
      assert.deepEqual(second.counts, {
        read: 5000,
        inserted: 0,
        updated: 0,
        unchanged: 5000,
        deleted: 0,
        rejected: 0,
      });
      assert.deepEqual(await snapshot(db), before);
      const changed = resultOf(await importInto(db, ['--count', '5000', '--variant', 'b']));
      assert.deepEqual([changed.counts.updated, changed.counts.unchanged], [5000, 0], 'only real changes are updates');
      await db.close();
    });

    it(`SIGKILL at random moments (${KILL_TRIALS} trials), rerun to completion: the table and checkpoint equal a clean run's`, async () => {
      const reference = await target.fresh();
      const args = ['--count', '20000', '--batch-size', '500', '--pause-ms', '4'];
      const started = performance.now();
      assert.equal((await importInto(reference, args)).code, 0);
      const span = performance.now() - started;
      const expected = await snapshot(reference);
      assert.equal(expected.items.length, 20000);

      let killedMidRun = 0;
      for (let trial = 0; trial < KILL_TRIALS; trial++) {
        const db = await target.fresh();
        const kills = trial % 5 === 4 ? 3 : 1; // some trials are killed several times in a row
        for (let k = 0; k < kills; k++) {
          const at = Math.random() * span;
          const killed = await importInto(db, args, { onOutput: killAfter(at) });
          if (killed.signal === 'SIGKILL') killedMidRun++;
        }
        const last = await importInto(db, args);
        assert.equal(last.code, 0, last.stderr);
        const got = await snapshot(db);
        assert.equal(got.items.length, expected.items.length, `trial ${trial}: no row missing, none duplicated`);
        assert.deepEqual(got, expected, `trial ${trial}: same rows, values and checkpoint`);
        await db.close();
      }
      assert.ok(killedMidRun >= KILL_TRIALS / 2, `most kills landed mid-run (${killedMidRun})`);
      await reference.close();
    });

    it('two runs started together: exactly one succeeds, the other exits 75 and writes nothing', async () => {
      const db = await target.fresh();
      assert.equal((await importInto(db, ['--count', '10'])).code, 0); // tables exist, as on any machine after a first run
      const args = ['--count', '4000', '--pause-ms', '20'];
      const [a, b] = await Promise.all([importInto(db, args), importInto(db, args)]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 75]);
      const loser = resultOf(a.code === 75 ? a : b);
      assert.equal(loser.error?.code, 'LOCKED');
      assert.match(loser.error?.message ?? '', /already running/);
      const runIds = (await db.runs(NAME)).map((r) => r.id);
      assert.ok(!runIds.includes(loser.runId), 'the losing run left no trace in the run history');
      assert.equal((await db.rows('items', 'id')).length, 4000);
      await db.close();
    });

    it('a lock left by a killed run is taken over; the dead run is marked abandoned', async () => {
      const db = await target.fresh();
      const killed = await importInto(db, ['--count', '20000', '--pause-ms', '20'], { onOutput: killOnProgress });
      assert.equal(killed.signal, 'SIGKILL');
      const next = await importInto(db, ['--count', '20000']);
      assert.equal(next.code, 0, next.stderr);
      const runs = await db.runs(NAME);
      assert.deepEqual(
        runs.map((r) => [r.status, r.error_code]),
        [
          ['failed', 'ABANDONED'],
          ['succeeded', null],
        ],
      );
      await db.close();
    });

    it('SIGTERM mid-run: exit 130, committed batches kept, the rerun resumes from the checkpoint', async () => {
      const db = await target.fresh();
      const args = ['--count', '20000', '--batch-size', '250', '--pause-ms', '20'];
      const pastDone = (out: string, n: number) => [...out.matchAll(/"done":(\d+)/g)].some((m) => Number(m[1]) >= n);
      const stopped = await importInto(db, args, {
        onOutput: (out, child) => pastDone(out, 2000) && !child.killed && child.kill('SIGTERM'),
      });
      assert.equal(stopped.code, 130);
      assert.equal(resultOf(stopped).status, 'cancelled');
      const kept = (await db.rows('items', 'id')).length;
      const checkpoint = (await db.checkpoint(NAME)) as { next: number };
      assert.ok(kept >= 2000 && kept < 20000, `committed work kept (${kept} rows)`);
      assert.ok(
        checkpoint.next <= kept,
        `the checkpoint (${checkpoint.next}) claims no more than the data holds (${kept})`,
      );
      const resumed = resultOf(await importInto(db, args));
      assert.equal(resumed.counts.read, 20000 - checkpoint.next, 'the rerun starts at the checkpoint');
      assert.equal((await db.rows('items', 'id')).length, 20000);
      await db.close();
    });

    it('a dry run writes nothing and reports the counts a real run then gets', async () => {
      const db = await target.fresh();
      await importInto(db, ['--count', '1000']);
      const before = { ...(await snapshot(db)), runs: await db.runs(NAME) };
      const args = ['--count', '1500', '--variant', 'b'];
      const dry = resultOf(await importInto(db, [...args, '--dry-run']));
      assert.equal(dry.dryRun, true);
      assert.deepEqual(
        { ...(await snapshot(db)), runs: await db.runs(NAME) },
        before,
        'nothing written, not even the run history',
      );
      const real = resultOf(await importInto(db, args));
      assert.deepEqual(dry.counts, real.counts);
      assert.deepEqual([real.counts.inserted, real.counts.updated], [500, 1000]);
      await db.close();
    });

    describe('guards, rejects and replay', () => {
      const people = async (rows: unknown[]) => {
        const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-people-')), 'people.json');
        await writeFile(file, JSON.stringify(rows));
        return file;
      };
      const runPeople = (db: Database, file: string, args: string[] = [], env: Record<string, string> = {}) =>
        runJobFile(PEOPLE, [...db.args, '--file', file, ...args], { env });
      const good = [
        { id: 'a', name: 'Ann', age: 30 },
        { id: 'b', name: 'Bob', age: 40 },
      ];

      it('more rejects than --max-rejects: exit 65, and the tables and checkpoint are as before the run; the rejects stay', async () => {
        const db = await target.fresh();
        assert.equal((await runPeople(db, await people(good))).code, 0);
        const before = { people: await db.rows('people', 'id'), checkpoint: await db.checkpoint('people-import') };
        const next = await people([
          { id: 'a', name: 'Ann', age: 31 },
          { id: 'c', name: 'Cy', age: 5 },
          ...Array.from({ length: 2500 }, (_, i) => ({ id: `n${i}`, name: 'x', age: 1 })),
          { id: 'd', name: 'Di', age: -4 },
        ]);
        const failed = await runPeople(db, next, ['--batch-size', '100']);
        assert.equal(failed.code, 65);
        assert.equal(resultOf(failed).error?.code, 'REJECTS_OVER_LIMIT');
        assert.deepEqual(
          { people: await db.rows('people', 'id'), checkpoint: await db.checkpoint('people-import') },
          before,
          'batches already committed were taken back',
        );
        const listed = (await runJobFile(PEOPLE, ['rejects', ...db.args])).stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { reason: string; position: { row: number }; raw: unknown });
        assert.deepEqual(
          listed.map((r) => [r.position.row, r.raw]),
          [[2503, { id: 'd', name: 'Di', age: -4 }]],
        );
        assert.match(listed[0]?.reason ?? '', /age: Too small/);
        const allowed = await runPeople(db, next, ['--max-rejects', '1']);
        assert.equal(allowed.code, 0);
        assert.deepEqual([resultOf(allowed).counts.read, resultOf(allowed).counts.rejected], [2503, 1]);
      });

      it('a record rejected again is one reject that moves to the newest run, source and position', async () => {
        const db = await target.fresh();
        const bad = { id: 'd', name: 'Di', age: -4 };
        assert.equal((await runPeople(db, await people([...good, bad]), ['--max-rejects', '1'])).code, 0);
        const later = await people([{ id: 'c', name: 'Cy', age: 5 }, ...good, bad]);
        const again = await runPeople(db, later, ['--max-rejects', '1']);
        assert.equal(again.code, 0, again.stderr);
        type Listed = { runId: string; source: string; position: { source: string; row: number }; raw: unknown };
        const listed = (await runJobFile(PEOPLE, ['rejects', ...db.args])).stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Listed);
        const seen = listed.map((r) => [r.runId, r.source, r.position.source, r.position.row, r.raw]);
        assert.deepEqual(seen, [[resultOf(again).runId, later, later, 4, bad]]);
      });

      it('fewer records than --min-records: exit 65 and nothing of the run is kept', async () => {
        const db = await target.fresh();
        await runPeople(db, await people(good));
        const before = await db.rows('people', 'id');
        const failed = await runPeople(
          db,
          await people([
            { id: 'a', name: 'Changed', age: 1 },
            { id: 'z', name: 'New', age: 2 },
          ]),
          ['--min-records', '3'],
        );
        assert.equal(failed.code, 65);
        assert.equal(resultOf(failed).error?.code, 'TOO_FEW_RECORDS');
        assert.deepEqual(await db.rows('people', 'id'), before);
      });

      it('rejects --replay writes the rejects that pass the fixed schema and removes them', async () => {
        const db = await target.fresh();
        const file = await people([...good, { id: 'n', name: 'Neg', age: -1 }, { id: 's', name: 'Str', age: 'old' }]);
        assert.equal((await runPeople(db, file, ['--max-rejects', '5'])).code, 0);
        const replay = await runJobFile(PEOPLE, ['rejects', '--replay', ...db.args, '--file', file], {
          env: { PEOPLE_SCHEMA_VERSION: '2' },
        });
        assert.equal(replay.code, 0, replay.stderr);
        assert.deepEqual(
          [resultOf(replay).counts.read, resultOf(replay).counts.inserted, resultOf(replay).counts.rejected],
          [2, 1, 1],
        );
        assert.deepEqual(
          (await db.rows('people', 'id')).map((r) => r.id),
          ['a', 'b', 'n'],
        );
        const left = (await runJobFile(PEOPLE, ['rejects', ...db.args])).stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { raw: { id: string } }).raw.id);
        assert.deepEqual(left, ['s']);
      });
    });

    it('history retention: runs and rejects older than --history-retention leave the history at the end of a run; the last success stays', async () => {
      const db = await target.fresh();
      const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-people-')), 'people.json');
      await writeFile(
        file,
        JSON.stringify([
          { id: 'a', name: 'Ann', age: 30 },
          { id: 'x', name: 'Bad', age: -1 },
        ]),
      );
      const rejects = async () =>
        (await runJobFile(PEOPLE, ['rejects', ...db.args])).stdout.trim().split('\n').filter(Boolean).length;
      assert.equal((await runJobFile(PEOPLE, [...db.args, '--file', file, '--max-rejects', '1'])).code, 0);
      assert.equal((await importInto(db, ['--count', '10'])).code, 0);
      assert.equal((await importInto(db, ['--count', '10', '--fail-at', '3'])).code, 75);
      assert.equal(await rejects(), 1);
      // The sleeps are the subject: retention is by the clock, so the history must grow older than 1 s.
      await sleep(1200);
      const kept = await importInto(db, ['--count', '10', '--fail-at', '5', '--history-retention', '1s']);
      assert.equal(kept.code, 75);
      const runs = await db.runs(NAME);
      assert.deepEqual(
        runs.map((r) => r.status),
        ['succeeded', 'failed'],
        'the old failure left; the last success and this run stay',
      );
      await sleep(1200);
      assert.equal(
        (await runJobFile(PEOPLE, [...db.args, '--file', file, '--max-rejects', '1', '--history-retention', '1s']))
          .code,
        0,
      );
      assert.equal(await rejects(), 1, 'a reject seen again in this run stays');
      await writeFile(file, JSON.stringify([{ id: 'a', name: 'Ann', age: 30 }]));
      await sleep(1200);
      assert.equal((await runJobFile(PEOPLE, [...db.args, '--file', file, '--history-retention', '1s'])).code, 0);
      assert.equal(await rejects(), 0, 'a reject not seen for longer than the retention left');
      await db.close();
    });

    describe('check: the healthcheck', () => {
      const check = async (db: Database, args: string[]) => {
        const finished = await runJobFile(JOB, ['check', ...db.args, ...args]);
        const line = JSON.parse(finished.stdout) as { ok: boolean; problems: string[] };
        return { code: finished.code, ...line };
      };

      it('never ran → 69', async () => {
        const db = await target.fresh();
        const got = await check(db, []);
        assert.deepEqual([got.code, got.ok, got.problems], [69, false, ['never ran: no finished run in the history']]);
      });

      it('healthy → 0; too few records → 69; too old → 69; last run failed → 69', async () => {
        const db = await target.fresh();
        await importInto(db, ['--count', '300']);
        const healthy = await check(db, ['--max-age', '1h', '--min-records', '300']);
        assert.deepEqual([healthy.code, healthy.ok, healthy.problems], [0, true, []]);
        const few = await check(db, ['--min-records', '301']);
        assert.equal(few.code, 69);
        assert.match(few.problems.join(), /too few records: the last success read 300, fewer than --min-records 301/);
        await sleep(20); // the subject: the last success must be older than --max-age by the clock
        const old = await check(db, ['--max-age', '10ms']);
        assert.equal(old.code, 69);
        // How long ago depends on the machine's load: ms under a second, seconds above.
        assert.match(
          old.problems.join(),
          /too old: the last success finished \d+ (ms|seconds?) ago, \d+ (ms|seconds?) over --max-age 10ms/,
        );
        await importInto(db, ['--count', '300', '--fail-at', '7']);
        const failed = await check(db, ['--max-age', '1h']);
        assert.equal(failed.code, 69);
        assert.match(failed.problems.join(), /last run failed at \S+ with RETRYABLE: failing at 7 as asked/);
      });

      it('check takes flags before or after the subcommand, and never creates a database', async () => {
        const db = await target.fresh();
        const finished = await runJobFile(JOB, [...db.args, 'check']);
        assert.equal(finished.code, 69);
        assert.equal(await db.runs(NAME).catch(() => 'no database'), 'no database');
      });
    });
  });
}

/** Kills the process `ms` after its first line, or at once if it already ended. */
function killAfter(ms: number) {
  let armed = false;
  return (_out: string, child: ChildProcess) => {
    if (armed) return;
    armed = true;
    setTimeout(() => child.kill('SIGKILL'), ms);
  };
}

function killOnProgress(out: string, child: ChildProcess): void {
  if (out.includes('"type":"progress"') && child.signalCode === null) child.kill('SIGKILL');
}
