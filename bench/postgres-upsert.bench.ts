// Upserting a 1,000,000-record NDJSON file into PostgreSQL: a ferry job as a real process against
// a bare COPY of the same rows into the same table (the lower bound); a rerun over unchanged data;
// and, for the record, the two bulk paths the store could take (COPY + INSERT … SELECT, unnest()).
// The server: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each run gets a fresh schema.
import { readdirSync, readFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Counts } from 'ferry';
import pg from 'pg';
import { checkResult, type Expect } from './lib/ferry-result.ts';
import { LoadLog } from './lib/load.ts';
import { runMeasured, type Command } from './lib/measure.ts';
import { ndjsonFile, recordAt, RECORD_COLUMNS, spotIndices } from './lib/records.ts';
import { atLeast, type BenchSection, type TargetCheck } from './lib/section.ts';
import { max, median } from './lib/stats.ts';

const COUNT = 1_000_000;
const ROUNDS = 3;
const BATCH = 1000;
const BIG_BATCH = 5000;
const TARGET_VS_COPY = 0.5;
const LOAD_WAIT_MS = process.env.FERRY_BENCH_LOAD_WAIT_S === '0' ? 0 : 15_000;
const URL_ = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const NODE = process.execPath;
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const JOB = path.join(FIXTURES, 'ndjson-upsert-postgres-job.ts');
const BARE = path.join(FIXTURES, 'bare-postgres-bulk.ts');

type RowId = 'ferry' | 'rerun' | 'ferryBig' | 'copy' | 'copyUpsert' | 'unnestUpsert' | 'durableUpsert';

const LABELS: Record<RowId, string> = {
  ferry: `ferry job, \`--batch-size ${BATCH}\`, fresh schema`,
  rerun: `ferry job again over the same schema and file (unchanged), \`--batch-size ${BATCH}\``,
  ferryBig: `ferry job, \`--batch-size ${BIG_BATCH}\`, fresh schema`,
  copy: 'lower bound: bare `COPY records FROM STDIN` of every row, one transaction, fresh schema',
  copyUpsert: `(info) bulk path alone, kept: COPY ${BATCH} rows into a temp table + INSERT … SELECT … ON CONFLICT, a transaction each`,
  unnestUpsert: `(info) bulk path alone, not kept: INSERT … SELECT FROM unnest(11 arrays of ${BATCH}) … ON CONFLICT, a transaction each`,
  durableUpsert: '(info) the kept bulk path with every commit waiting for its WAL flush (synchronous_commit on)',
};

interface Measured {
  wallMs: number;
  rssKb: number;
  cpuS: number;
  serverCpuS: number;
}

export default async function postgresUpsert(): Promise<BenchSection> {
  const started = performance.now();
  const admin = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 3000 });
  await admin.connect().catch((error: Error) => {
    throw new Error(
      `no PostgreSQL at ${URL_.replace(/\/\/[^@/]*@/, '//')} (${error.message}): start one or set TEST_DATABASE_URL`,
      { cause: error },
    );
  });
  const schemas: string[] = [];
  try {
    const data = await dataFile(COUNT);
    const measured = new Map<RowId, Measured[]>();
    const rerunCounts: Counts[] = [];
    let ferryColumns: string | undefined;

    const fresh = async () => {
      const name = `ferry_bench_${process.pid}_${schemas.length + 1}`;
      schemas.push(name);
      await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
      const url = new URL(URL_);
      url.searchParams.set('options', `-c search_path=${name}`);
      return { name, url: url.href };
    };
    const drop = (name: string) => admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    const ferry = (id: RowId, url: string, batch: number): Command => ({
      label: LABELS[id],
      file: NODE,
      args: [
        '--conditions=source',
        JOB,
        '--file',
        data.file,
        '--db-url',
        url,
        '--batch-size',
        String(batch),
        '--log-format',
        'json',
      ],
    });
    const bare = (id: RowId, mode: string, url: string): Command => ({
      label: LABELS[id],
      file: NODE,
      args: [BARE, mode, data.file, url, String(BATCH)],
    });

    /** One measured run: checks the process's result and the table it left, then keeps the figures. */
    const measure = async (
      id: RowId,
      command: Command,
      schema: string,
      expect: Expect | 'none',
    ): Promise<Counts | undefined> => {
      const server = serverCpuSeconds();
      const exit = await runMeasured(command, os.tmpdir());
      const serverCpuS = serverCpuSeconds() - server;
      const counts = expect === 'none' ? undefined : checkResult(command.label, exit.stdout, COUNT, expect);
      const columns = await checkTable(admin, schema, command.label);
      if (id === 'ferry') ferryColumns ??= columns;
      else if (ferryColumns !== undefined && columns !== ferryColumns)
        throw new Error(`${command.label}: its table differs from the ferry job's:\n  ${columns}\n  ${ferryColumns}`);
      push(measured, id, { wallMs: exit.wallMs, rssKb: exit.rssKb, cpuS: exit.userS + exit.sysS, serverCpuS });
      process.stderr.write(
        `  ${id.padEnd(12)} ${(exit.wallMs / 1000).toFixed(2)} s, client CPU ${(exit.userS + exit.sysS).toFixed(2)} s, server CPU ${serverCpuS.toFixed(2)} s${counts ? `, ${JSON.stringify(counts)}` : ''}\n`,
      );
      return counts;
    };

    const groups: Record<string, () => Promise<void>> = {
      ferry: async () => {
        const s = await fresh();
        await measure('ferry', ferry('ferry', s.url, BATCH), s.name, 'fresh');
        const counts = await measure('rerun', ferry('rerun', s.url, BATCH), s.name, 'any');
        if (counts) rerunCounts.push(counts);
        await drop(s.name);
      },
      ferryBig: async () => {
        const s = await fresh();
        await measure('ferryBig', ferry('ferryBig', s.url, BIG_BATCH), s.name, 'fresh');
        await drop(s.name);
      },
      copy: async () => {
        const s = await fresh();
        await measure('copy', bare('copy', 'copy', s.url), s.name, 'none');
        await drop(s.name);
      },
      paths: async () => {
        for (const [id, mode] of [
          ['copyUpsert', 'copy-upsert'],
          ['unnestUpsert', 'unnest-upsert'],
          ['durableUpsert', 'copy-upsert-durable'],
        ] as const) {
          const s = await fresh();
          await measure(id, bare(id, mode, s.url), s.name, 'none');
          await drop(s.name);
        }
      },
    };

    // Interleaved rounds, each starting with the next group, so drift on the machine touches all alike.
    // The ferry group goes first in round 1: its table is the one the others must match.
    const order = Object.keys(groups);
    const loads = new LoadLog({ maxWaitMs: LOAD_WAIT_MS, pollMs: 2500 });
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      await loads.wait(`round ${round + 1}`);
      for (const name of [...order.slice(round % order.length), ...order.slice(0, round % order.length)])
        await groups[name]?.();
    }

    const get = (id: RowId) => measured.get(id) ?? [];
    const wall = (id: RowId) => median(get(id).map((m) => m.wallMs));
    const cpu = (id: RowId) => median(get(id).map((m) => m.cpuS));
    const serverCpu = (id: RowId) => median(get(id).map((m) => m.serverCpuS));
    const perSecond = (id: RowId) => COUNT / (wall(id) / 1000);
    const rerunClean = rerunCounts.every((c) => c.inserted === 0 && c.updated === 0 && c.unchanged === COUNT);
    const worstRerun = rerunCounts.find((c) => c.inserted !== 0 || c.updated !== 0) ?? rerunCounts[0];
    const server = await serverFacts(admin);

    const targets: TargetCheck[] = [
      atLeast(
        `ferry / bare COPY throughput (median wall times, batch ${BATCH})`,
        wall('copy') / wall('ferry'),
        TARGET_VS_COPY,
        '×',
      ),
      {
        what: 'the rerun over unchanged data reports',
        target: `0 inserted, 0 updated, ${COUNT.toLocaleString('en')} unchanged (every rerun)`,
        measured: worstRerun
          ? `${worstRerun.inserted} inserted, ${worstRerun.updated} updated, ${worstRerun.unchanged} unchanged${rerunClean ? ` in all ${rerunCounts.length}` : ''}`
          : 'no rerun',
        pass: rerunClean && rerunCounts.length === ROUNDS,
      },
    ];

    return {
      title: `(information) PostgreSQL upsert by a fixture job: ${COUNT.toLocaleString('en')} NDJSON records`,
      method:
        `Each command is a real process reading the same cached NDJSON file of ${COUNT.toLocaleString('en')} records ` +
        `(${(data.bytes / 2 ** 20).toFixed(0)} MiB, bench/lib/records.ts) line by line (node:readline, JSON.parse) into a table of 11 columns keyed by \`id\`, ` +
        `in a fresh schema of a PostgreSQL ${server.version} on the same machine (TCP to 127.0.0.1). ${ROUNDS} interleaved rounds, each group first in turn; ` +
        'one run per command per round under GNU `/usr/bin/time -f "%M %U %S"`, wall time from `spawn()` to exit (median), client CPU (user + sys, median); ' +
        "server CPU is what all of the server's processes used during the run (from /proc: the postmaster's reaped children and its live ones), median. " +
        "The ferry job (bench/fixtures/ndjson-upsert-postgres-job.ts, the SQLite benchmark's job on `postgres()`) runs from source. " +
        'The bare commands are bench/fixtures/bare-postgres-bulk.ts. After every run the benchmark checks the table: the row count, ' +
        `${spotIndices(COUNT).length} rows column by column against the generator, and that its columns and types are the ferry job's; ` +
        'for ferry, also the result line (succeeded, read = N, inserted = N in a fresh schema).',
      table: {
        head: [
          'command',
          'median wall s',
          'range s',
          'records/s',
          'throughput × COPY',
          'median client CPU s',
          'median server CPU s',
          'peak RSS MB',
          'runs',
        ],
        rows: (Object.keys(LABELS) as RowId[])
          .filter((id) => get(id).length > 0)
          .map((id) => {
            const walls = get(id).map((m) => m.wallMs / 1000);
            return [
              LABELS[id],
              (wall(id) / 1000).toFixed(2),
              `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`,
              Math.round(perSecond(id)).toLocaleString('en'),
              `${(perSecond(id) / perSecond('copy')).toFixed(2)}×`,
              cpu(id).toFixed(2),
              serverCpu(id).toFixed(2),
              max(get(id).map((m) => m.rssKb / 1024)).toFixed(1),
              String(get(id).length),
            ];
          }),
      },
      targets,
      notes: [
        `CPU (client + server, medians), steadier than wall time on a shared machine: ferry ${(cpu('ferry') + serverCpu('ferry')).toFixed(1)} s, ` +
          `its rerun ${(cpu('rerun') + serverCpu('rerun')).toFixed(1)} s, bare COPY ${(cpu('copy') + serverCpu('copy')).toFixed(1)} s.`,
        `Bulk path: COPY into a temporary table + INSERT … SELECT took ${(wall('copyUpsert') / 1000).toFixed(2)} s (${(cpu('copyUpsert') + serverCpu('copyUpsert')).toFixed(1)} s CPU) ` +
          `against ${(wall('unnestUpsert') / 1000).toFixed(2)} s (${(cpu('unnestUpsert') + serverCpu('unnestUpsert')).toFixed(1)} s CPU) for unnest() arrays, the same upsert statement ` +
          `and ${BATCH}-row transactions: the store uses COPY. pg serializes arrays to text literals and the server parses them again; COPY's text format is cheaper on both sides.`,
        `Batch size ${BIG_BATCH} vs ${BATCH}: ${(wall('ferryBig') / 1000).toFixed(2)} s vs ${(wall('ferry') / 1000).toFixed(2)} s median wall.`,
        "ferry commits each batch with synchronous_commit = off (a server crash may take back the newest batches, always with their checkpoint) and the run's end " +
          `with it on, which flushes them all; with every commit waiting for its flush the bulk path took ${(wall('durableUpsert') / 1000).toFixed(2)} s instead of ${(wall('copyUpsert') / 1000).toFixed(2)} s ` +
          `(${server.settings}).`,
        'The lower bound is a single COPY into an empty table: no conflict check, no counts, no checkpoints, one commit. ferry also copies each row it updates into ' +
          'its undo journal (for --max-rejects / --min-records); a fresh import and an unchanged rerun update nothing. An unchanged row is not rewritten, but ' +
          'ON CONFLICT DO UPDATE … WHERE still locks it, which costs the rerun a little WAL (no row versions).',
        'Into a table that was empty when the run began, ferry COPYs each batch straight into the table (same transaction, same checkpoint) until a key turns out to ' +
          'exist, then rolls that batch back and upserts from there on: the first run is COPY per batch, the rerun is the upsert path (compare it with the fifth row). ' +
          "Each full batch commits behind the job (src/job/batcher.ts: one batch in flight), so the server commits one batch while the job reads and parses the next; what is left of the gap to one COPY is a transaction per batch and ferry's per-record work on the client (client CPU above).",
        loads.summary(),
        `${os.availableParallelism()} cores shared by client and server, one command at a time; whole benchmark ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
      ],
    };
  } finally {
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => {});
    await admin.end();
  }
}

/** Checks the table a run left; returns its columns and types. */
async function checkTable(admin: pg.Client, schema: string, label: string): Promise<string> {
  const columns = (
    await admin.query<{ c: string }>(
      `SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'records'`,
      [schema],
    )
  ).rows[0]?.c;
  if (!columns) throw new Error(`${label}: no table records in schema ${schema}`);
  const n = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.records`)).rows[0]?.n;
  if (n !== COUNT) throw new Error(`${label}: ${n} rows in records, expected ${COUNT}`);
  for (const i of spotIndices(COUNT)) {
    const want = recordAt(i);
    const got = (await admin.query<Record<string, unknown>>(`SELECT * FROM ${schema}.records WHERE id = $1`, [want.id]))
      .rows[0];
    if (!got) throw new Error(`${label}: row ${want.id} is missing`);
    for (const [column, type] of Object.entries(RECORD_COLUMNS)) {
      const expected = want[column as keyof typeof want];
      const value = got[column];
      const same =
        type === 'json'
          ? isDeepStrictEqual(JSON.parse(String(value)), expected)
          : type === 'integer'
            ? value === String(expected)
            : value === expected;
      if (!same)
        throw new Error(
          `${label}: row ${want.id} column ${column} is ${JSON.stringify(value)}, expected ${JSON.stringify(expected)}`,
        );
    }
  }
  return columns;
}

/**
 * CPU seconds used so far by the local server: the postmaster's own and its reaped children's,
 * plus its live children's (a backend that exits moves into the reaped sum). NaN when not local.
 */
function serverCpuSeconds(): number {
  const stats = new Map<number, { ppid: number; comm: string; own: number; children: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const f = text
        .slice(text.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      // After the name: state ppid … utime(11) stime(12) cutime(13) cstime(14), in clock ticks.
      stats.set(Number(entry), {
        ppid: f[1] ?? 0,
        comm,
        own: (f[11] ?? 0) + (f[12] ?? 0),
        children: (f[13] ?? 0) + (f[14] ?? 0),
      });
    } catch {
      // the process ended while we looked
    }
  }
  const postmaster = [...stats.entries()].find(
    ([, s]) => s.comm === 'postgres' && stats.get(s.ppid)?.comm !== 'postgres',
  );
  if (!postmaster) return NaN;
  const [pid, main] = postmaster;
  const live = [...stats.values()].filter((s) => s.ppid === pid).reduce((sum, s) => sum + s.own, 0);
  return (main.own + main.children + live) / 100; // USER_HZ is 100 on Linux
}

async function serverFacts(admin: pg.Client): Promise<{ version: string; settings: string }> {
  const version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '?';
  const rows = (
    await admin.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size') ORDER BY name`,
    )
  ).rows;
  return {
    version,
    settings: `server settings: ${rows.map((r) => `${r.name} = ${r.setting}${r.unit ? ` ${r.unit}` : ''}`).join(', ')}`,
  };
}

/** The cached data file, generated if missing, then read through once so every run finds it in the page cache. */
async function dataFile(count: number): Promise<{ file: string; bytes: number }> {
  const data = await ndjsonFile(count);
  for await (const _chunk of createReadStream(data.file, { highWaterMark: 1 << 20 }));
  return data;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
