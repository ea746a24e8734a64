// Chaos: the built file-import into PostgreSQL while its session is ended (pg_terminate_backend,
// what a server restart or a failover does to it) at random instants. Whatever the instant, the
// run must end with a result line and a code a host can act on: never a silent exit 0 with rows missing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import type { Finished } from '../helpers/spawn.ts';
import { freshSchema, postgresUnavailable, type TestSchema } from '../stores/postgres/test-database.ts';

const ROWS = 100_000;
const TRIALS = Number(process.env.FERRY_PG_CHAOS_TRIALS ?? 20);

/** The CSV's data lines, and the same text as the table must give it back. */
function orders(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++)
    lines.push(`${i},customer ${i % 977},${(i * 37) % 100_000}.${String(i % 100).padStart(2, '0')},"note, ""${i}"""`);
  return lines.join('\n');
}

/** The table as CSV-like lines in key order, hashed: the rows compared without an object per row. */
async function tableDigest(db: TestSchema): Promise<{ rows: number; digest: string }> {
  const [row] = await db.query<{ rows: number; lines: string | null }>(
    `SELECT count(*)::int AS rows, string_agg(concat_ws(',', id, customer, total, '"' || replace(note, '"', '""') || '"'), E'\\n' ORDER BY id::int) AS lines FROM orders`,
  );
  return {
    rows: row?.rows ?? 0,
    digest: createHash('sha256')
      .update(row?.lines ?? '')
      .digest('hex'),
  };
}

/** The rows the job has read so far, from its last progress line. */
function readSoFar(stdout: string): number {
  const at = stdout.lastIndexOf('"done":');
  return at < 0 ? -1 : Number.parseInt(stdout.slice(at + 7), 10);
}

/** What one run ended with, as a line of the failure message. */
function outcome(trial: number, at: number, finished: Finished, rows: number): { ok: boolean; line: string } {
  let result;
  try {
    result = parseEventLines(finished.stdout).at(-1);
  } catch (error) {
    return {
      ok: false,
      line: `run ${trial} (ended at ${at} rows read): exit ${finished.code}, no result line (${(error as Error).message.split('\n')[0]}); stderr: ${finished.stderr.slice(0, 300)}`,
    };
  }
  const line = `run ${trial} (ended at ${at} rows read): exit ${finished.code ?? finished.signal}, ${result?.type === 'result' ? `${result.status} ${result.error?.code ?? ''}` : 'no result'}, ${rows} rows in the table`;
  const retry = finished.code === 75 && result?.type === 'result' && result.error?.code === 'PG_CONNECTION';
  const whole = finished.code === 0 && result?.type === 'result' && result.status === 'succeeded' && rows === ROWS;
  return { ok: retry || whole, line };
}

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('file-import into PostgreSQL, its session ended at random instants', () => {
    const schemas: TestSchema[] = [];
    after(() => Promise.all(schemas.map((s) => s.drop())));

    it(`${TRIALS} runs each ended at a random instant: every one exits 75 (or 0 with every row) with a result line; a clean rerun leaves the table equal to the file`, async () => {
      const db = await freshSchema();
      schemas.push(db);
      const dir = await mkdtemp(path.join(tmpdir(), 'ferry-pg-chaos-'));
      const file = path.join(dir, 'orders.csv');
      const data = orders(ROWS);
      await writeFile(file, `id,customer,total,note\n${data}\n`);
      const args = ['--db-url', db.url, '--file', file, '--key', 'id'];

      const outcomes: { ok: boolean; line: string }[] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        const at = Math.floor(Math.random() * ROWS);
        let ended: Promise<boolean> | undefined;
        const finished = await runExample('file-import', args, {
          timeoutMs: 120_000,
          onOutput: (stdout) => {
            if (ended === undefined && readSoFar(stdout) >= at) ended = db.endRunSession('file-import');
          },
        });
        await ended;
        outcomes.push(outcome(trial, at, finished, (await tableDigest(db)).rows));
      }
      assert.deepEqual(
        outcomes.filter((o) => !o.ok).map((o) => o.line),
        [],
        `every run ends with a result line and exit 75 or a whole table:\n${outcomes.map((o) => o.line).join('\n')}`,
      );
      const stuck = await db.query(`SELECT id, status FROM _ferry_runs WHERE status = 'running'`);
      assert.deepEqual(stuck, [], 'no run is left "running" in the history');

      const clean = await runExample('file-import', args, { timeoutMs: 120_000 });
      assert.equal(clean.code, 0, clean.stderr);
      assert.deepEqual(
        await tableDigest(db),
        { rows: ROWS, digest: createHash('sha256').update(data).digest('hex') },
        'the table equals the file',
      );
    });
  });
