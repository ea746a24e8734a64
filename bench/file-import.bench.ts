// The file-import example job importing a 1,000,000-row CSV into a fresh SQLite file: upserted by
// a natural key (--key id), and without a key (the file replaces its own rows in one
// transaction); a rerun over unchanged data; and the same at 200,000 rows, to see whether the
// memory stays flat as the file grows.
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { id } from 'ferry';
import {
  bucketProfile,
  describeEntries,
  summarizeProfile,
  type Bucket,
  type Entry,
  type ProfileSummary,
} from './lib/cpuprofile.ts';
import { CSV_COLUMNS, csvFile, csvRowAt } from './lib/csv.ts';
import { checkResult, formatCounts, type Expect } from './lib/ferry-result.ts';
import { buildExecutable } from './lib/executable.ts';
import { LoadLog } from './lib/load.ts';
import { describeSourceStates, sourceState } from './lib/source-state.ts';
import { runMeasured, type Command } from './lib/measure.ts';
import { removeDb } from './lib/sqlite-files.ts';
import type { BenchSection } from './lib/section.ts';
import { max, median } from './lib/stats.ts';

const ROWS = 1_000_000;
const SMALL = 200_000;
const ROUNDS = 3;
const NODE = process.execPath;
const JOB = path.join(import.meta.dirname, '..', 'examples/file-import/file-import.ts');
const TABLE = 'people';

type RowId = 'key' | 'keyRerun' | 'replace' | 'replaceRerun' | 'keySmall' | 'replaceSmall';
type Mode = 'key' | 'replace';

interface Run {
  mode: Mode;
  rows: number;
  /** A rerun goes over the database the run before it left. */
  rerun: boolean;
  label: string;
}

const RUNS: Record<RowId, Run> = {
  key: { mode: 'key', rows: ROWS, rerun: false, label: '`--key id` (upsert by the natural key), fresh database' },
  keyRerun: {
    mode: 'key',
    rows: ROWS,
    rerun: true,
    label: '`--key id` again over the same database and file (unchanged data)',
  },
  replace: {
    mode: 'replace',
    rows: ROWS,
    rerun: false,
    label: 'no key (the file replaces its own rows, one transaction), fresh database',
  },
  replaceRerun: {
    mode: 'replace',
    rows: ROWS,
    rerun: true,
    label: '(info) no key, again over the same database and file (unchanged data)',
  },
  keySmall: { mode: 'key', rows: SMALL, rerun: false, label: '`--key id`, fresh database' },
  replaceSmall: { mode: 'replace', rows: SMALL, rerun: false, label: 'no key, fresh database' },
};

/** Runs that share a database go together: a group is measured back to back. */
const GROUPS: RowId[][] = [['key', 'keyRerun'], ['replace', 'replaceRerun'], ['keySmall'], ['replaceSmall']];

interface Measured {
  wallMs: number;
  rssKb: number;
  cpuS: number;
  sysS: number;
  load: number;
  dbBytes: number;
}

const has =
  (...parts: string[]) =>
  (f: { url: string }) =>
    parts.some((part) => f.url.includes(part));
/** Where a run's time goes, by the innermost frame that tells (see bucketProfile). */
export const FILE_BUCKETS: Bucket[] = [
  { name: 'garbage collection', match: (f) => f.functionName === '(garbage collector)' },
  { name: 'store: SQLite statements and commits (src/stores/)', match: has('/src/stores/') },
  { name: '_ferry_id: SHA-256 per row (id(), node:crypto)', match: has('/src/id.ts', 'node:internal/crypto') },
  {
    name: 'reading the CSV (csv-parse, src/sources/files/, streams)',
    match: has('csv-parse', '/src/sources/files/', 'node:internal/streams', 'node:internal/fs', 'node:buffer'),
  },
  { name: "the job's own code (examples/file-import: a row of text per record)", match: has('/examples/') },
  { name: "ferry's per-record path (src/job/: accept, progress, batcher, events)", match: has('/src/') },
  {
    name: 'start-up: loading and type-stripping modules',
    match: (f) =>
      f.url.startsWith('node:internal/modules') ||
      f.url.includes('amaro') ||
      f.functionName === 'executeUserEntryPoint',
  },
];

export default async function fileImport(): Promise<BenchSection> {
  const started = performance.now();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-file-'));
  const codeAtStart = await sourceState();
  try {
    const files = { [ROWS]: await dataFile(ROWS), [SMALL]: await dataFile(SMALL) };
    const loads = new LoadLog();
    const measured = new Map<RowId, Measured[]>();
    const rerunCounts: string[] = [];

    const executable = await buildExecutable(JOB, scratch);
    const jobArgs = (run: Run, db: string) => [
      '--file',
      fileOf(files, run.rows),
      ...(run.mode === 'key' ? ['--key', 'id'] : []),
      '--table',
      TABLE,
      '--db-path',
      db,
      '--log-format',
      'json',
    ];
    // Measured as shipped; profiled from source (a built executable takes no Node flags such as --cpu-prof).
    const command = (run: Run, db: string): Command => ({
      label: run.label,
      file: executable,
      args: jobArgs(run, db),
      cwd: scratch,
    });
    const profiled = (run: Run, db: string, dir: string): Command => ({
      label: run.label,
      file: NODE,
      args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--conditions=source', JOB, ...jobArgs(run, db)],
      cwd: scratch,
    });

    /** One measured run on a quiet machine, its result line and the table it left checked. */
    const measure = async (rowId: RowId, db: string, round: number): Promise<void> => {
      const run = RUNS[rowId];
      const { load } = await loads.wait(`${rowId} (round ${round + 1})`);
      const exit = await runMeasured(command(run, db), scratch);
      const expect: Expect = run.rerun ? 'unchanged' : 'fresh';
      const counts = checkResult(`${rowId}: ${run.label}`, exit.stdout, run.rows, expect);
      if (run.rerun) rerunCounts.push(`${rowId}: ${formatCounts(counts)}`);
      checkTable(db, run, fileOf(files, run.rows));
      const dbBytes = await dbSize(db);
      push(measured, rowId, {
        wallMs: exit.wallMs,
        rssKb: exit.rssKb,
        cpuS: exit.userS + exit.sysS,
        sysS: exit.sysS,
        load,
        dbBytes,
      });
      process.stderr.write(
        `  ${rowId.padEnd(12)} ${(exit.wallMs / 1000).toFixed(2)} s, CPU ${(exit.userS + exit.sysS).toFixed(2)} s (sys ${exit.sysS.toFixed(2)}), ` +
          `${(exit.rssKb / 1024).toFixed(1)} MB, load ${load.toFixed(2)}: ${formatCounts(counts)}\n`,
      );
    };

    // Interleaved rounds, each starting with the next group, so drift on the machine touches all alike.
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      for (const group of [...GROUPS.slice(round % GROUPS.length), ...GROUPS.slice(0, round % GROUPS.length)]) {
        const db = path.join(scratch, `${group[0]}-${round}.db`);
        for (const rowId of group) await measure(rowId, db, round);
        await removeDb(db);
      }
    }

    // Where the time goes: one more run of each mode at SMALL rows under --cpu-prof (not in the table).
    process.stderr.write('profiling\n');
    const profiles: Partial<Record<Mode, Profiled>> = {};
    for (const rowId of ['keySmall', 'replaceSmall'] as const) {
      const run = RUNS[rowId];
      const db = path.join(scratch, `prof-${rowId}.db`);
      const dir = path.join(scratch, `prof-${rowId}`);
      await loads.wait(`the profiled run (${rowId})`);
      const exit = await runMeasured(profiled(run, db, dir), scratch);
      checkResult(`${rowId} (profiled)`, exit.stdout, run.rows, 'fresh');
      const [prof] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
      if (!prof) throw new Error(`${rowId}: no .cpuprofile in ${dir}`);
      const file = path.join(dir, prof);
      profiles[run.mode] = {
        ...(await summarizeProfile(file)),
        buckets: await bucketProfile(file, FILE_BUCKETS),
        wallMs: exit.wallMs,
        sysS: exit.sysS,
      };
      await removeDb(db);
    }

    const get = (rowId: RowId) => measured.get(rowId) ?? [];
    const wall = (rowId: RowId) => median(get(rowId).map((m) => m.wallMs));
    const cpu = (rowId: RowId) => median(get(rowId).map((m) => m.cpuS));
    const rssMb = (rowId: RowId) => max(get(rowId).map((m) => m.rssKb / 1024));
    const perSecond = (rowId: RowId) => RUNS[rowId].rows / (wall(rowId) / 1000);
    const order: RowId[] = ['key', 'keyRerun', 'replace', 'replaceRerun', 'keySmall', 'replaceSmall'];
    const flat = (big: RowId, small: RowId) =>
      `${rssMb(big).toFixed(1)} MB at ${ROWS.toLocaleString('en')} rows vs ${rssMb(small).toFixed(1)} MB at ${SMALL.toLocaleString('en')} ` +
      `(${rssMb(big) - rssMb(small) >= 0 ? '+' : ''}${(rssMb(big) - rssMb(small)).toFixed(1)} MB for ${(ROWS / SMALL).toFixed(0)}× the rows)`;

    return {
      title: `File import: a ${ROWS.toLocaleString('en')}-row CSV into SQLite`,
      method:
        `The file-import example job (examples/file-import/file-import.ts) runs as shipped: the single executable \`ferry build\` makes of it at the start of the benchmark, read back from disk (the profiles in the notes are of the same job from source); it reads a cached CSV ` +
        `(bench/lib/csv.ts: ${CSV_COLUMNS.length} columns — ${CSV_COLUMNS.join(', ')} — with a quoted "Last, First" name in every row; row i is a pure function of i; ` +
        `${(files[ROWS].bytes / 2 ** 20).toFixed(0)} MiB at ${ROWS.toLocaleString('en')} rows, ${(files[SMALL].bytes / 2 ** 20).toFixed(0)} MiB at ${SMALL.toLocaleString('en')}) ` +
        `into a table \`${TABLE}\` of TEXT columns plus ferry's \`_ferry_id\` key (\`--table ${TABLE} --db-path <file> --log-format json\`, default batches of 1,000). ` +
        'With `--key id` rows are upserted by their id; without a key the file replaces the rows it brought last time, in one transaction. ' +
        `${ROUNDS} interleaved rounds, each group first in turn (a rerun right after the run whose database it reuses); before every run the benchmark waits for a 1-minute load average below 1.0 (see Notes); ` +
        'each run under GNU `/usr/bin/time -f "%M %U %S"`: wall time from `spawn()` to exit (median), CPU time (user + system, median), peak RSS (max over the runs). ' +
        "Every run is checked: the result line says succeeded, every row read, and all inserted (fresh) or all unchanged (rerun); the table holds exactly the file's rows; " +
        `${SPOT.length} rows, found by their \`_ferry_id\`, match the generator column by column.`,
      table: {
        head: [
          'command',
          'rows',
          'median wall s',
          'range s',
          'records/s',
          'median CPU s',
          'of it system s',
          'peak RSS MB',
          'database MB',
          'load at start',
          'runs',
        ],
        rows: order
          .filter((rowId) => get(rowId).length > 0)
          .map((rowId) => {
            const walls = get(rowId).map((m) => m.wallMs / 1000);
            const runLoads = get(rowId).map((m) => m.load);
            return [
              RUNS[rowId].label,
              RUNS[rowId].rows.toLocaleString('en'),
              (wall(rowId) / 1000).toFixed(2),
              `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`,
              Math.round(perSecond(rowId)).toLocaleString('en'),
              cpu(rowId).toFixed(2),
              median(get(rowId).map((m) => m.sysS)).toFixed(2),
              rssMb(rowId).toFixed(1),
              (max(get(rowId).map((m) => m.dbBytes)) / 2 ** 20).toFixed(0),
              `${Math.min(...runLoads).toFixed(2)}–${Math.max(...runLoads).toFixed(2)}`,
              String(get(rowId).length),
            ];
          }),
      },
      targets: [],
      notes: [
        `Rerun with \`--key id\` over unchanged data: ${(wall('keyRerun') / 1000).toFixed(2)} s vs ${(wall('key') / 1000).toFixed(2)} s for the first run (${(wall('keyRerun') / wall('key')).toFixed(2)}×); ` +
          `every rerun reported 0 inserted, 0 updated (${rerunCounts.length} reruns checked: ${[...new Set(rerunCounts.map((c) => c.replace(/^\w+: /, '')))].join('; ')}).`,
        `Memory: with \`--key id\` the peak RSS is ${flat('key', 'keySmall')}; without a key ${flat('replace', 'replaceSmall')}. ` +
          `The rerun with \`--key id\` peaks at ${rssMb('keyRerun').toFixed(1)} MB, the one without a key at ${rssMb('replaceRerun').toFixed(1)} MB.`,
        ...(['key', 'replace'] as const).flatMap((mode) => {
          const p = profiles[mode];
          return p ? profileNotes(mode === 'key' ? '`--key id`' : 'no key', p) : [];
        }),
        `"database MB" is the database file and its WAL after the run. The CSV files are generated once into bench/.cache/ (git-ignored) and read through once before the runs, so every run finds them in the page cache.`,
        describeSourceStates(codeAtStart, await sourceState()),
        loads.summary(),
        `${os.availableParallelism()} cores, one process measured at a time; databases on ${os.tmpdir()}; whole benchmark ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Profiled extends ProfileSummary {
  wallMs: number;
  sysS: number;
  buckets: Entry[];
}

function profileNotes(what: string, p: Profiled): string[] {
  return [
    `Where the time goes, ${what}, ${SMALL.toLocaleString('en')} rows (one more run under \`--cpu-prof\`, not in the table: ${(p.wallMs / 1000).toFixed(2)} s wall, ` +
      `${(p.totalMs / 1000).toFixed(2)} s profiled, ${p.sysS.toFixed(2)} s of system CPU time), each sample counted to the innermost frame that tells: ` +
      `${describeEntries(
        p.buckets.filter((b) => b.ms >= 0.5).sort((a, b) => b.ms - a.ms),
        p.buckets.length,
      )}.`,
    `Self time, ${what} (node:sqlite's native work counts to the JS function that runs the statement or the COMMIT): ${describeEntries(p.self, 8)}.`,
  ];
}

const SPOT_AT = (rows: number) => [0, 1, 999, 1000, Math.floor(rows * 0.37), Math.floor(rows / 2), rows - 2, rows - 1];
const SPOT = SPOT_AT(ROWS);

/** The imported table: exactly the file's rows, and spot rows as the generator made them. */
function checkTable(dbPath: string, run: Run, file: string): void {
  const label = run.label;
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number };
    if (n !== run.rows) throw new Error(`${label}: ${n} rows in ${TABLE}, expected ${run.rows}`);
    const select = db.prepare(`SELECT * FROM ${TABLE} WHERE _ferry_id = ?`);
    for (const i of SPOT_AT(run.rows)) {
      const want: Record<string, string> = csvRowAt(i);
      const ferryId = run.mode === 'key' ? id(want.id ?? '') : `${id(file)}:${String(i + 1).padStart(12, '0')}`;
      const got = select.get(ferryId) as Record<string, unknown> | undefined;
      if (!got) throw new Error(`${label}: no row with _ferry_id ${ferryId} (row ${i + 1}, id ${want.id})`);
      if (run.mode === 'replace') want._ferry_source = file;
      for (const [column, value] of Object.entries(want)) {
        if (got[column] !== value)
          throw new Error(
            `${label}: row ${i + 1}, column ${column}: ${JSON.stringify(got[column])}, expected ${JSON.stringify(value)}`,
          );
      }
    }
  } finally {
    db.close();
  }
}

function fileOf(files: Record<number, { file: string }>, rows: number): string {
  const file = files[rows]?.file;
  if (!file) throw new Error(`no data file of ${rows} rows`);
  return file;
}

/** The cached CSV file, generated if missing, then read through once so every run finds it in the page cache. */
async function dataFile(rows: number): Promise<{ file: string; bytes: number }> {
  const data = await csvFile(rows, (n) => {
    if (n % 200_000 === 0 || n === rows)
      process.stderr.write(`  generating ${rows.toLocaleString('en')} rows: ${n.toLocaleString('en')}\r`);
  });
  if (data.generatedMs !== undefined)
    process.stderr.write(`\n  generated ${data.file} in ${(data.generatedMs / 1000).toFixed(1)} s\n`);
  for await (const _chunk of createReadStream(data.file, { highWaterMark: 1 << 20 }));
  return data;
}

async function dbSize(db: string): Promise<number> {
  const sizes = await Promise.all(
    ['', '-wal'].map((suffix) =>
      stat(`${db}${suffix}`).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
