// Upserting a 1,000,000-record NDJSON file into SQLite: a ferry job as a real process against a
// bare node:sqlite loop (the lower bound) and the usual Python script; a rerun over unchanged
// data; and the peak RSS of the same job at 5,000,000 records.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { isDeepStrictEqual } from 'node:util';
import type { Counts } from 'ferry';
import { describeEntries, summarizeProfile, type Entry, type ProfileSummary } from './lib/cpuprofile.ts';
import { checkResult, type Expect } from './lib/ferry-result.ts';
import { LoadLog } from './lib/load.ts';
import { buildExecutable } from './lib/executable.ts';
import { runMeasured, runOnce, type Command } from './lib/measure.ts';
import { ndjsonFile, recordAt, RECORD_COLUMNS, spotIndices } from './lib/records.ts';
import { atLeast, below, type BenchSection, type TargetCheck } from './lib/section.ts';
import { max, median } from './lib/stats.ts';

const COUNT = 1_000_000;
const BIG_COUNT = 5_000_000;
const ROUNDS = 3;
// Other sessions' tests and builds share the machine: wait a little for quiet before each round, then measure anyway.
const LOAD_WAIT_MS = process.env.FERRY_BENCH_LOAD_WAIT_S === '0' ? 0 : 15_000;
const BATCH = 1000;
const BIG_BATCH = 5000;
const TARGET_VS_BARE = 0.7;
const TARGET_VS_PYTHON = 2;
const TARGET_MB = 120;
const NODE = process.execPath;
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const JOB = path.join(FIXTURES, 'ndjson-upsert-job.ts');
const BARE = path.join(FIXTURES, 'bare-sqlite-loop.ts');
const PYTHON = path.join(FIXTURES, 'python_upsert.py');

type RowId = 'ferry' | 'rerun' | 'ferryBig' | 'source' | 'bare' | 'python' | 'floor' | 'ferry5m';

interface Measured {
  wallMs: number;
  rssKb: number;
  cpuS: number;
}

const LABELS: Record<RowId, string> = {
  ferry: `ferry job, \`--batch-size ${BATCH}\`, fresh database`,
  rerun: `ferry job again over the same database and file (unchanged), \`--batch-size ${BATCH}\``,
  ferryBig: `ferry job, \`--batch-size ${BIG_BATCH}\`, fresh database`,
  source: `(info) ferry job from source (\`node --conditions=source\`, not as shipped), \`--batch-size ${BATCH}\`, fresh database`,
  bare: 'lower bound: bare node:sqlite loop, one transaction, prepared upsert',
  python: 'python3 stdlib: json + sqlite3 `executemany` upsert, commit per 10,000',
  floor: '(info) ferry job over the first 1,000 records: the RSS floor of the executable',
  ferry5m: `ferry job at ${BIG_COUNT.toLocaleString('en')} records, \`--batch-size ${BATCH}\`, fresh database`,
};

export default async function sqliteUpsert(): Promise<BenchSection> {
  const started = performance.now();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-upsert-'));
  try {
    const data = await dataFile(COUNT);
    const small = await ndjsonFile(1000);
    const executable = await buildExecutable(JOB, scratch);
    const measured = new Map<RowId, Measured[]>();
    const records = new Map<RowId, number>();
    const rerunCounts: Counts[] = [];
    let ferryDdl: string | undefined;

    const ferryArgs = (file: string, db: string, batch: number) => [
      '--file',
      file,
      '--db-path',
      db,
      '--batch-size',
      String(batch),
      '--log-format',
      'json',
    ];
    const fromSource = (label: string, file: string, db: string, batch: number): Command => ({
      label,
      file: NODE,
      args: ['--conditions=source', JOB, ...ferryArgs(file, db, batch)],
      cwd: scratch,
    });
    const shipped = (label: string, file: string, db: string, batch: number): Command => ({
      label,
      file: executable,
      args: ferryArgs(file, db, batch),
      cwd: scratch,
    });

    /** One measured run: checks the process's result and the table it left, then keeps the figures. */
    const measure = async (
      id: RowId,
      command: Command,
      count: number,
      db: string,
      expect: Expect | 'none',
    ): Promise<Counts | undefined> => {
      const exit = await runMeasured(command, scratch);
      const counts = expect === 'none' ? undefined : checkResult(command.label, exit.stdout, count, expect);
      const ddl = checkTable(db, count, command.label);
      if (id === 'ferry') ferryDdl ??= ddl;
      else if (ferryDdl !== undefined && ddl !== ferryDdl)
        throw new Error(
          `${command.label}: its table differs from the ferry job's, so the comparison is unfair:\n  ${ddl}\n  ${ferryDdl}`,
        );
      push(measured, id, { wallMs: exit.wallMs, rssKb: exit.rssKb, cpuS: exit.userS + exit.sysS });
      records.set(id, count);
      process.stderr.write(
        `  ${id.padEnd(8)} ${(exit.wallMs / 1000).toFixed(2)} s, ${(exit.rssKb / 1024).toFixed(1)} MB${counts ? `, ${JSON.stringify(counts)}` : ''}\n`,
      );
      return counts;
    };

    const groups: Record<string, (db: string) => Promise<void>> = {
      ferry: async (db) => {
        await measure('ferry', shipped(LABELS.ferry, data.file, db, BATCH), COUNT, db, 'fresh');
        const counts = await measure('rerun', shipped(LABELS.rerun, data.file, db, BATCH), COUNT, db, 'any');
        if (counts) rerunCounts.push(counts);
      },
      ferryBig: async (db) =>
        void (await measure('ferryBig', shipped(LABELS.ferryBig, data.file, db, BIG_BATCH), COUNT, db, 'fresh')),
      source: async (db) =>
        void (await measure('source', fromSource(LABELS.source, data.file, db, BATCH), COUNT, db, 'fresh')),
      bare: async (db) =>
        void (await measure(
          'bare',
          { label: LABELS.bare, file: NODE, args: [BARE, data.file, db], cwd: scratch },
          COUNT,
          db,
          'none',
        )),
      python: async (db) =>
        void (await measure(
          'python',
          { label: LABELS.python, file: 'python3', args: [PYTHON, data.file, db], cwd: scratch },
          COUNT,
          db,
          'none',
        )),
    };

    // Interleaved rounds, each starting with the next group, so drift on the machine touches all alike.
    // The ferry group goes first in round 1: its table is the one the others must match.
    const order = Object.keys(groups);
    const loads = new LoadLog({ maxWaitMs: LOAD_WAIT_MS, pollMs: 2500 });
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      await loads.wait(`round ${round + 1}`);
      for (const name of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
        const db = path.join(scratch, `${name}-${round}.db`);
        await groups[name]?.(db);
        await removeDb(db);
      }
      const db = path.join(scratch, `floor-${round}.db`);
      await measure('floor', shipped(LABELS.floor, small.file, db, BATCH), 1000, db, 'fresh');
      await removeDb(db);
    }

    // Where the time goes: one first run and its rerun under --cpu-prof (not in the table).
    const profiles: Partial<Record<'first' | 'rerun', Profiled>> = {};
    const profDb = path.join(scratch, 'profiled.db');
    for (const phase of ['first', 'rerun'] as const) {
      process.stderr.write(`profiling the ${phase} run\n`);
      const dir = path.join(scratch, `prof-${phase}`);
      await mkdir(dir);
      const command = fromSource(`profiled ${phase} run`, data.file, profDb, BATCH);
      const exit = await runMeasured(
        { ...command, args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...command.args] },
        scratch,
      );
      checkResult(command.label, exit.stdout, COUNT, phase === 'first' ? 'fresh' : 'any');
      const [file] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile in ${dir}`);
      profiles[phase] = { ...(await summarizeProfile(path.join(dir, file))), wallMs: exit.wallMs };
    }
    await removeDb(profDb);

    process.stderr.write(`${BIG_COUNT.toLocaleString('en')} records\n`);
    const big = await dataFile(BIG_COUNT);
    const bigDb = path.join(scratch, 'ferry-5m.db');
    await measure('ferry5m', shipped(LABELS.ferry5m, big.file, bigDb, BATCH), BIG_COUNT, bigDb, 'fresh');
    await removeDb(bigDb);

    const get = (id: RowId) => measured.get(id) ?? [];
    const wall = (id: RowId) => median(get(id).map((m) => m.wallMs));
    const cpu = (id: RowId) => median(get(id).map((m) => m.cpuS));
    const rssMb = (id: RowId) => max(get(id).map((m) => m.rssKb / 1024));
    const perSecond = (id: RowId) => (records.get(id) ?? NaN) / (wall(id) / 1000);
    const rows: RowId[] = ['ferry', 'rerun', 'ferryBig', 'source', 'bare', 'python', 'ferry5m', 'floor'];
    const rerunClean = rerunCounts.every((c) => c.inserted === 0 && c.updated === 0 && c.unchanged === COUNT);
    const worstRerun = rerunCounts.find((c) => c.inserted !== 0 || c.updated !== 0) ?? rerunCounts[0];

    const targets: TargetCheck[] = [
      atLeast(
        `ferry / bare throughput (median wall times, batch ${BATCH})`,
        wall('bare') / wall('ferry'),
        TARGET_VS_BARE,
        '×',
      ),
      atLeast(
        `ferry / Python throughput (median wall times, batch ${BATCH})`,
        wall('python') / wall('ferry'),
        TARGET_VS_PYTHON,
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
      {
        what: 'rerun wall time / first run wall time (medians)',
        target: '<= 1.00× (no slower than the first run)',
        measured: `${(wall('rerun') / wall('ferry')).toFixed(2)}× (${(wall('rerun') / 1000).toFixed(2)} s vs ${(wall('ferry') / 1000).toFixed(2)} s)`,
        pass: wall('rerun') <= wall('ferry'),
      },
      below(
        `peak RSS at ${COUNT.toLocaleString('en')} records (max over the first runs and reruns)`,
        Math.max(rssMb('ferry'), rssMb('rerun')),
        TARGET_MB,
        'MB',
      ),
      below(`peak RSS at ${BIG_COUNT.toLocaleString('en')} records`, rssMb('ferry5m'), TARGET_MB, 'MB'),
    ];

    const versions = await toolVersions();
    return {
      title: `(information) SQLite upsert by a fixture job: ${COUNT.toLocaleString('en')} NDJSON records`,
      method:
        `Each command is a real process reading the same cached NDJSON file of ${COUNT.toLocaleString('en')} records ` +
        `(${(data.bytes / 2 ** 20).toFixed(0)} MiB, 11 fields: strings, ints, a float, a boolean, an ISO timestamp, a nested object; record i is a pure function of i) ` +
        'line by line (node:readline over a read stream; Python: the file object) into a table of 11 columns keyed by `id`, on a fresh database file ' +
        `unless said otherwise. ${ROUNDS} interleaved rounds, each group first in turn; one run per command per round under GNU \`/usr/bin/time -f "%M %U %S"\`, ` +
        'wall time from `spawn()` to exit (median), peak RSS (max over the runs). The ferry job (bench/fixtures/ndjson-upsert-job.ts) runs as shipped: ' +
        'built from src/ by `ferry build` at the start of the benchmark (a single executable of this Node, stripped, with its code cache and its ' +
        '`--max-semi-space-size=16`), dropped from the page cache before the runs; the same job from source is the row marked so. After every run the benchmark checks the table: the row count, ' +
        `${spotIndices(COUNT).length} rows column by column against the generator, and that the table's DDL is the ferry job's; for ferry, also the result line ` +
        '(succeeded, read = N, inserted = N on a fresh database).',
      table: {
        head: [
          'command',
          'records',
          'median wall s',
          'range s',
          'records/s',
          'throughput × bare',
          'median CPU s',
          'peak RSS MB',
          'runs',
        ],
        rows: rows
          .filter((id) => get(id).length > 0)
          .map((id) => {
            const walls = get(id).map((m) => m.wallMs / 1000);
            return [
              LABELS[id],
              (records.get(id) ?? 0).toLocaleString('en'),
              (wall(id) / 1000).toFixed(2),
              `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`,
              Math.round(perSecond(id)).toLocaleString('en'),
              id === 'floor' ? '' : `${(perSecond(id) / perSecond('bare')).toFixed(2)}×`,
              cpu(id).toFixed(2),
              rssMb(id).toFixed(1),
              String(get(id).length),
            ];
          }),
      },
      targets,
      notes: [
        `Batch size ${BIG_BATCH} vs ${BATCH}: ${(wall('ferryBig') / 1000).toFixed(2)} s vs ${(wall('ferry') / 1000).toFixed(2)} s median wall, ` +
          `${rssMb('ferryBig').toFixed(1)} MB vs ${rssMb('ferry').toFixed(1)} MB peak RSS.`,
        `CPU time (user + sys, medians), less disturbed than wall time by other load on the machine: ferry / bare ${(cpu('bare') / cpu('ferry')).toFixed(2)}×, ` +
          `ferry / Python ${(cpu('python') / cpu('ferry')).toFixed(2)}×, rerun / first run ${(cpu('rerun') / cpu('ferry')).toFixed(2)}×.`,
        `RSS floor: the executable over 1,000 records peaks at ${rssMb('floor').toFixed(1)} MB (Node, the modules, SQLite); ` +
          `from source (Node's TypeScript stripping, no young-generation cap) the ${COUNT.toLocaleString('en')}-record run peaks at ${rssMb('source').toFixed(1)} MB ` +
          `and takes ${(wall('source') / 1000).toFixed(2)} s vs ${(wall('ferry') / 1000).toFixed(2)} s as shipped.`,
        "The bare loop and the Python script use the same DDL, WAL and synchronous = NORMAL (as ferry's store does), and " +
          "`INSERT … ON CONFLICT (id) DO UPDATE SET` every column, and count nothing; ferry's store also tells inserted, updated and unchanged apart " +
          'and writes only a real change (see src/stores/sqlite/sql.ts for the statement it runs now).',
        `Python ${versions.python}; node:sqlite links SQLite ${versions.nodeSqlite}.`,
        `Data files are generated once into bench/.cache/ (git-ignored by .cache/) and reused: ${(data.bytes / 2 ** 20).toFixed(0)} MiB and ` +
          `${(big.bytes / 2 ** 20).toFixed(0)} MiB; each is read through once before its runs so it is in the page cache for all of them.`,
        ...(profiles.first ? [profileNote('a first run', profiles.first)] : []),
        ...(profiles.rerun ? [profileNote('the rerun', profiles.rerun)] : []),
        `Load: the 1-minute load average at the start of each round was ${loads.waits.map((w) => w.load.toFixed(2)).join(', ')} ` +
          `(the benchmark waits up to ${LOAD_WAIT_MS / 1000} s for it to drop below 1.0); other sessions' tests and builds share the ${os.availableParallelism()} cores, ` +
          'so wall times under load are upper bounds and CPU times are the steadier figure.',
        `${os.availableParallelism()} cores, one process at a time; whole benchmark ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Checks the table a run left and returns its DDL. */
function checkTable(dbPath: string, count: number, label: string): string {
  const db = new DatabaseSync(dbPath);
  try {
    const ddl = (
      db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'records'").get() as
        { sql: string } | undefined
    )?.sql;
    if (!ddl) throw new Error(`${label}: no table records in ${dbPath}`);
    const { n } = db.prepare('SELECT count(*) AS n FROM records').get() as { n: number };
    if (n !== count) throw new Error(`${label}: ${n} rows in records, expected ${count}`);
    const select = db.prepare('SELECT * FROM records WHERE id = ?');
    for (const i of spotIndices(count)) {
      const want = recordAt(i);
      const got = select.get(want.id) as Record<string, unknown> | undefined;
      if (!got) throw new Error(`${label}: row ${want.id} is missing`);
      for (const [column, type] of Object.entries(RECORD_COLUMNS)) {
        const expected = want[column as keyof typeof want];
        const value = got[column];
        const same =
          type === 'json'
            ? isDeepStrictEqual(JSON.parse(String(value)), expected)
            : type === 'boolean'
              ? value === (expected ? 1 : 0)
              : type === 'text'
                ? value === expected
                : Number(value) === expected;
        if (!same)
          throw new Error(
            `${label}: row ${want.id}, column ${column}: ${JSON.stringify(value)}, expected ${JSON.stringify(expected)}`,
          );
      }
    }
    return ddl;
  } finally {
    db.close();
  }
}

/** The cached data file, generated if missing, then read through once so every run finds it in the page cache. */
async function dataFile(count: number): Promise<{ file: string; bytes: number }> {
  const data = await ndjsonFile(count, (n) => {
    if (n % 500_000 === 0 || n === count)
      process.stderr.write(`  generating ${count.toLocaleString('en')} records: ${n.toLocaleString('en')}\r`);
  });
  if (data.generatedMs !== undefined)
    process.stderr.write(`\n  generated ${data.file} in ${(data.generatedMs / 1000).toFixed(1)} s\n`);
  for await (const _chunk of createReadStream(data.file, { highWaterMark: 1 << 20 }));
  return data;
}

type Profiled = ProfileSummary & { wallMs: number };

// The parts of a run worth naming, found by their profile label ("function file:line") without the
// line, so that a moved line still matches; a part src/ no longer has is left out.
const PARTS: { label: string; name: RegExp; kind: 'self' | 'inclusive' }[] = [
  {
    label: "the job's loop itself (readline iteration, JSON.parse)",
    name: /^run bench\/fixtures\/ndjson-upsert-job\.ts/,
    kind: 'self',
  },
  {
    label: 'TableWriter.write itself (its node:sqlite statements)',
    name: /^write src\/stores\/sqlite\/table-writer\.ts/,
    kind: 'self',
  },
  {
    label: 'toParams (with toSql and JSON.stringify of the json column)',
    name: /^toParams src\/stores\/tables\.ts/,
    kind: 'inclusive',
  },
  {
    label: 'COMMIT of each batch (writing its pages to the WAL, checkpoints)',
    name: /^#commit src\/stores\/sqlite\/sqlite-store\.ts/,
    kind: 'self',
  },
  { label: 'ctx.write and Batcher.write themselves', name: /^write src\/job\//, kind: 'self' },
  { label: 'garbage collection', name: /^\(garbage collector\)/, kind: 'self' },
];

/** One line for the notes: where a profiled run spent its time. */
function profileNote(what: string, p: Profiled): string {
  const sum = (entries: readonly Entry[], name: RegExp) =>
    entries.filter((e) => name.test(e.name)).reduce((ms, e) => ms + e.ms, 0);
  const startup = p.inclusive.find((e) => e.name.startsWith('executeUserEntryPoint '))?.ms ?? 0;
  const parts = PARTS.map((part) => ({
    ...part,
    ms: sum(part.kind === 'self' ? p.self : p.inclusive, part.name),
  })).filter((part) => part.ms > 0);
  return (
    `Where the time goes in ${what}, from one more run under \`--cpu-prof\` (not in the table; ${(p.wallMs / 1000).toFixed(2)} s wall, ${(p.totalMs / 1000).toFixed(2)} s profiled; ` +
    'native work — node:sqlite, JSON.parse — counts to the JS function that calls it): ' +
    [
      `start-up (loading modules, up to the first await) ${startup.toFixed(0)} ms`,
      ...parts.map((part) => `${part.label} ${part.ms.toFixed(0)} ms (${((100 * part.ms) / p.totalMs).toFixed(0)}%)`),
    ].join('; ') +
    `. Top self times: ${describeEntries(p.self, 5)}.`
  );
}

async function removeDb(db: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '.ndjson-upsert.lock'].map((suffix) => rm(`${db}${suffix}`, { force: true })));
}

async function toolVersions(): Promise<{ python: string; nodeSqlite: string }> {
  const py = await runOnce('python3', [
    '-c',
    'import sqlite3, sys; print(sys.version.split()[0], "with SQLite", sqlite3.sqlite_version)',
  ]);
  const db = new DatabaseSync(':memory:');
  const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  db.close();
  return { python: py.stdout.trim(), nodeSqlite: v };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
