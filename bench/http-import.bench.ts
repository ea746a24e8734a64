// The rest-import example job against a fast local JSON API (200,000 records, pages of 1,000,
// Link rel="next"), into a fresh SQLite file, next to a bare loop that only fetches and parses
// the same pages: how much of the network-bound ceiling a ferry job keeps.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { bundleJob } from './lib/bundle.ts';
import { buildExecutable } from './lib/executable.ts';
import {
  bucketProfile,
  describeEntries,
  summarizeProfile,
  type Bucket,
  type Entry,
  type ProfileSummary,
} from './lib/cpuprofile.ts';
import { checkResult, formatCounts } from './lib/ferry-result.ts';
import { LoadLog } from './lib/load.ts';
import { describeSourceStates, sourceState } from './lib/source-state.ts';
import { runMeasured, type Command } from './lib/measure.ts';
import { recordAt } from './lib/records.ts';
import { atLeast, type BenchSection } from './lib/section.ts';
import { max, median } from './lib/stats.ts';
import { startPagedApi } from './fixtures/paged-api-server.ts';

const RECORDS = 200_000;
const PAGE_SIZE = 1000;
const PAGES = RECORDS / PAGE_SIZE;
const ROUNDS = 3;
const TARGET_VS_BARE = 0.8;
const NODE = process.execPath;
const ROOT = path.join(import.meta.dirname, '..');
const JOB = path.join(ROOT, 'examples/rest-import/rest-import.ts');
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const BARE = path.join(FIXTURES, 'bare-fetch-loop.ts');
const BARE_SQLITE = path.join(FIXTURES, 'bare-fetch-sqlite-loop.ts');
const TABLE = 'items';

/** Per-page delays of the slower APIs measured besides the instant one: an API's own work on a page. */
const LATENCIES = [5, 20] as const;
type Latency = (typeof LATENCIES)[number];
type RowId = 'built' | 'ferry' | 'bundled' | 'bare' | 'bareSqlite' | `built@${Latency}` | `bare@${Latency}`;
const latencyOf = (id: RowId): number => Number(id.split('@')[1] ?? 0);
const baseOf = (id: RowId) => id.split('@')[0] as 'built' | 'bare' | 'ferry' | 'bundled' | 'bareSqlite';

const has = (part: string) => (f: { url: string }) => f.url.includes(part);
/** Where a from-source run's time goes, by the innermost frame that tells (see bucketProfile). */
export const HTTP_BUCKETS: Bucket[] = [
  { name: 'garbage collection', match: (f) => f.functionName === '(garbage collector)' },
  { name: 'idle (waiting for the server)', match: (f) => f.functionName === '(idle)' },
  { name: 'store: SQLite statements and commits (src/stores/)', match: has('/src/stores/') },
  {
    name: "HTTP: fetch, reading the body, JSON.parse (src/sources/http/, undici, Node's streams and sockets)",
    match: (f) =>
      ['/src/sources/http/', 'undici', 'webstreams', 'node:internal/streams', 'stream_base_commons', 'node:net'].some(
        (part) => f.url.includes(part),
      ),
  },
  {
    name: "the job's own code (examples/rest-import: JSON.stringify of each record, table name)",
    match: has('/examples/'),
  },
  { name: "ferry's per-record path (src/job/, validation, counts, events)", match: has('/src/') },
  {
    name: 'start-up: loading and type-stripping modules',
    match: (f) =>
      f.url.startsWith('node:internal/modules') ||
      f.url.includes('amaro') ||
      f.functionName === 'executeUserEntryPoint',
  },
];

const LABELS: Record<RowId, string> = {
  built: 'ferry: rest-import example as shipped (the `ferry build` executable), fresh database',
  'built@5': 'ferry as shipped, from an API that takes 5 ms per page',
  'bare@5': 'baseline: bare loop, from an API that takes 5 ms per page',
  'built@20': 'ferry as shipped, from an API that takes 20 ms per page',
  'bare@20': 'baseline: bare loop, from an API that takes 20 ms per page',
  ferry: '(info) ferry: rest-import example from source (`node --conditions=source`), fresh database',
  bundled: '(info) ferry: rest-import example bundled, run by this Node (what is profiled below), fresh database',
  bare: 'baseline: bare loop, `fetch` + `JSON.parse` of each page, in sequence, nothing stored',
  bareSqlite:
    '(info) bare loop + node:sqlite: the same, and each record stored as the job stores it, one transaction per page',
};

interface Measured {
  wallMs: number;
  rssKb: number;
  cpuS: number;
  load: number;
}

export default async function httpImport(): Promise<BenchSection> {
  const started = performance.now();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-http-'));
  const api = await startPagedApi(RECORDS, PAGE_SIZE);
  const codeAtStart = await sourceState();
  try {
    const bundle = await bundleJob(JOB, path.join(scratch, 'rest-import.mjs'));
    const executable = await buildExecutable(JOB, scratch);
    const loads = new LoadLog();
    const measured = new Map<RowId, Measured[]>();
    const jobArgs = (db: string) => ['--api-url', api.url, '--db-path', db, '--log-format', 'json'];
    const commands: Record<ReturnType<typeof baseOf>, (db: string) => Command> = {
      built: (db) => ({ label: LABELS.built, file: executable, args: jobArgs(db), cwd: scratch }),
      ferry: (db) => ({
        label: LABELS.ferry,
        file: NODE,
        args: ['--conditions=source', JOB, ...jobArgs(db)],
        cwd: scratch,
      }),
      bundled: (db) => ({ label: LABELS.bundled, file: NODE, args: [bundle.file, ...jobArgs(db)], cwd: scratch }),
      bare: () => ({ label: LABELS.bare, file: NODE, args: [BARE, api.url], cwd: scratch }),
      bareSqlite: (db) => ({ label: LABELS.bareSqlite, file: NODE, args: [BARE_SQLITE, api.url, db], cwd: scratch }),
    };

    /** One measured run on a quiet machine, its output and the table it left checked. */
    const measure = async (id: RowId, round: number): Promise<void> => {
      const db = path.join(scratch, `${id}-${round}.db`);
      const command = { ...commands[baseOf(id)](db), label: LABELS[id] };
      const { load } = await loads.wait(`${id} (round ${round + 1})`);
      api.latencyMs = latencyOf(id);
      const requestsBefore = api.requests;
      const exit = await runMeasured(command, scratch);
      const requests = api.requests - requestsBefore;
      if (requests !== PAGES)
        throw new Error(`${command.label}: ${requests} requests, expected ${PAGES} (one per page)`);
      let detail: string;
      if (baseOf(id) === 'bare') {
        const out = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as { pages?: number; records?: number };
        if (out.pages !== PAGES || out.records !== RECORDS)
          throw new Error(`${command.label}: expected ${PAGES} pages and ${RECORDS} records, got ${exit.stdout}`);
        detail = `${out.records} records`;
      } else {
        detail =
          id === 'bareSqlite'
            ? `${RECORDS} records`
            : formatCounts(checkResult(command.label, exit.stdout, RECORDS, 'fresh'));
        checkTable(db, command.label);
      }
      await removeDb(db);
      push(measured, id, { wallMs: exit.wallMs, rssKb: exit.rssKb, cpuS: exit.userS + exit.sysS, load });
      process.stderr.write(
        `  ${id.padEnd(10)} ${(exit.wallMs / 1000).toFixed(2)} s, CPU ${(exit.userS + exit.sysS).toFixed(2)} s, ${(exit.rssKb / 1024).toFixed(1)} MB, load ${load.toFixed(2)}: ${detail}\n`,
      );
    };

    // Interleaved rounds, each starting with the next command, so drift on the machine touches all alike.
    const order: RowId[] = [
      'built',
      'bare',
      'ferry',
      'bundled',
      'bareSqlite',
      ...LATENCIES.flatMap((ms) => [`built@${ms}`, `bare@${ms}`] as const),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      for (const id of [...order.slice(round % order.length), ...order.slice(0, round % order.length)])
        await measure(id, round);
    }

    const get = (id: RowId) => measured.get(id) ?? [];
    const wall = (id: RowId) => median(get(id).map((m) => m.wallMs));
    const cpu = (id: RowId) => median(get(id).map((m) => m.cpuS));
    const perSecond = (id: RowId) => RECORDS / (wall(id) / 1000);
    const versus = wall('bare') / wall('built');
    const versusAt = (ms: Latency) => wall(`bare@${ms}`) / wall(`built@${ms}`);

    // Where the time goes: one more run of each ferry variant under --cpu-prof (not in the table).
    process.stderr.write('profiling\n');
    api.latencyMs = 0;
    const profiles = {
      source: await profile(
        commands.ferry(path.join(scratch, 'prof-source.db')),
        path.join(scratch, 'prof-source'),
        scratch,
        loads,
      ),
      bundled: await profile(
        commands.bundled(path.join(scratch, 'prof-bundled.db')),
        path.join(scratch, 'prof-bundled'),
        scratch,
        loads,
      ),
    };

    return {
      title: `HTTP import: ${RECORDS.toLocaleString('en')} records from a paged JSON API`,
      method:
        `A node:http server on 127.0.0.1 in the benchmark process (bench/fixtures/paged-api-server.ts) serves ${RECORDS.toLocaleString('en')} records ` +
        `(${(api.bodyBytes / 2 ** 20).toFixed(1)} MiB of JSON in all; 11 fields each: strings, numbers, a boolean, an ISO timestamp, a nested object; record i is recordAt(i) of bench/lib/records.ts) ` +
        `in ${PAGES} pages of ${PAGE_SIZE.toLocaleString('en')}, each page's body serialized once at start-up, with \`Link: <…?page=N+1>; rel="next"\` and \`X-Total-Count\`. ` +
        `The main comparison is against this instant API, which answers at once; the rows marked "from an API that takes N ms per page" hold each answer N ms first (${LATENCIES.join(' and ')} ms), as a real API's own work on a page would, and compare with the bare loop against the same API. ` +
        'The ferry job is examples/rest-import/rest-import.ts run as a real process (`--api-url … --db-path <fresh file> --log-format json`, its defaults otherwise: ' +
        'batches of 1,000, Link pagination), writing each record as (id, data = the record as JSON) into a fresh SQLite file. The baseline (bench/fixtures/bare-fetch-loop.ts) ' +
        "fetches the same pages with Node's `fetch`, one after the other, reads each body as text and `JSON.parse`s it, and does nothing else. " +
        `${ROUNDS} interleaved rounds, each command first in turn; before every run the benchmark waits for a 1-minute load average below 1.0 (see Notes); ` +
        'each run under GNU `/usr/bin/time -f "%M %U %S"`: wall time from `spawn()` to exit (median), CPU time (user + system, median), peak RSS (max over the runs). ' +
        `Every run is checked: exactly ${PAGES} requests reached the server; the bare loop counted ${RECORDS.toLocaleString('en')} records; a ferry run's result line says succeeded, ` +
        `read ${RECORDS.toLocaleString('en')}, inserted ${RECORDS.toLocaleString('en')}, and its table holds ${RECORDS.toLocaleString('en')} rows, ${SPOT.length} of them byte for byte as the server sent them.`,
      table: {
        head: [
          'command',
          'median wall s',
          'range s',
          'records/s',
          'throughput × bare',
          'median CPU s',
          'peak RSS MB',
          'load at start',
          'runs',
        ],
        rows: (
          [
            'built',
            'ferry',
            'bundled',
            'bare',
            'bareSqlite',
            ...LATENCIES.flatMap((ms) => [`built@${ms}`, `bare@${ms}`] as const),
          ] as const
        )
          .filter((id) => get(id).length > 0)
          .map((id) => {
            const walls = get(id).map((m) => m.wallMs / 1000);
            const runLoads = get(id).map((m) => m.load);
            return [
              LABELS[id],
              (wall(id) / 1000).toFixed(2),
              `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`,
              Math.round(perSecond(id)).toLocaleString('en'),
              `${(perSecond(id) / perSecond(latencyOf(id) === 0 ? 'bare' : `bare@${latencyOf(id) as Latency}`)).toFixed(2)}×`,
              cpu(id).toFixed(2),
              max(get(id).map((m) => m.rssKb / 1024)).toFixed(1),
              `${Math.min(...runLoads).toFixed(2)}–${Math.max(...runLoads).toFixed(2)}`,
              String(get(id).length),
            ];
          }),
      },
      targets: [
        atLeast(
          'ferry (as shipped) / bare loop throughput (median wall times), from the instant API',
          versus,
          TARGET_VS_BARE,
          '×',
        ),
        ...LATENCIES.map((ms) =>
          atLeast(`the same, from an API that takes ${ms} ms per page`, versusAt(ms), TARGET_VS_BARE, '×'),
        ),
      ],
      notes: [
        `From source the job reaches ${(wall('bare') / wall('ferry')).toFixed(2)}× the bare loop's throughput (${(wall('ferry') / 1000).toFixed(2)} s vs ${(wall('built') / 1000).toFixed(2)} s as shipped). ` +
          `Storing alone, without ferry (the bare loop + node:sqlite), reaches ${(wall('bare') / wall('bareSqlite')).toFixed(2)}×: that is the ceiling for any job that writes these rows to SQLite one transaction per page.`,
        `With the API taking its time, the next page travels while ferry stores the one before (the HTTP source prefetches one page, still one request at a time): ` +
          LATENCIES.map(
            (ms) =>
              `at ${ms} ms per page ferry took ${(wall(`built@${ms}`) / 1000).toFixed(2)} s against the bare loop's ${(wall(`bare@${ms}`) / 1000).toFixed(2)} s (${versusAt(ms).toFixed(2)}×)`,
          ).join('; ') +
          `. From the instant API there is no waiting to hide: fetching and parsing, storing and ferry's own work all take the one JavaScript thread in turn.`,
        `CPU time, which other work on the machine disturbs less than wall time: ferry as shipped ${cpu('built').toFixed(2)} s, from source ${cpu('ferry').toFixed(2)} s, bundled ${cpu('bundled').toFixed(2)} s, ` +
          `bare loop + SQLite ${cpu('bareSqlite').toFixed(2)} s, bare loop ${cpu('bare').toFixed(2)} s (the server's CPU time is not included: it runs in the benchmark process).`,
        ...profileNotes(profiles.source, profiles.bundled),
        `Bundle: ${(bundle.bytes / 1024).toFixed(0)} KB from ${bundle.inputs} input files (bench/lib/bundle.ts: esbuild, ESM, minified).`,
        describeSourceStates(codeAtStart, await sourceState()),
        loads.summary(),
        `${os.availableParallelism()} cores shared by the server (the benchmark process) and the process measured; one process measured at a time; ` +
          `databases on ${os.tmpdir()}; whole benchmark ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
      ],
    };
  } finally {
    await api.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

const SPOT = [0, 1, 999, 1000, 73_456, 100_000, 199_998, 199_999].filter((i) => i < RECORDS);

/** The rest-import table: RECORDS rows, and spot rows exactly as the server sent them. */
function checkTable(dbPath: string, label: string): void {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number };
    if (n !== RECORDS) throw new Error(`${label}: ${n} rows in ${TABLE}, expected ${RECORDS}`);
    const select = db.prepare(`SELECT data FROM ${TABLE} WHERE id = ?`);
    for (const i of SPOT) {
      const want = recordAt(i);
      const got = (select.get(want.id) as { data: string } | undefined)?.data;
      if (got !== JSON.stringify(want))
        throw new Error(
          `${label}: row ${want.id} is ${got === undefined ? 'missing' : got.slice(0, 200)}, expected ${JSON.stringify(want)}`,
        );
    }
  } finally {
    db.close();
  }
}

/** One run under --cpu-prof, checked like the measured ones; returns its profile's summary. */
interface Profiled extends ProfileSummary {
  wallMs: number;
  buckets: Entry[];
}

async function profile(command: Command, dir: string, scratch: string, loads: LoadLog): Promise<Profiled> {
  await loads.wait(`the profiled run (${command.label})`);
  // Node's own flags go before the script, wherever the command's start.
  const profiled: Command = { ...command, args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...command.args] };
  const exit = await runMeasured(profiled, scratch);
  checkResult(command.label, exit.stdout, RECORDS, 'fresh');
  const [prof] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (!prof) throw new Error(`${command.label}: no .cpuprofile in ${dir}`);
  const file = path.join(dir, prof);
  return { ...(await summarizeProfile(file)), buckets: await bucketProfile(file, HTTP_BUCKETS), wallMs: exit.wallMs };
}

function profileNotes(p: Profiled, bundled: Profiled): string[] {
  const pseudo = (q: Profiled, name: string) => q.self.find((e) => e.name === name)?.ms ?? 0;
  return [
    `Where the time goes from source (one more run under \`--cpu-prof\`, not in the table: ${(p.wallMs / 1000).toFixed(2)} s wall, ${(p.totalMs / 1000).toFixed(2)} s profiled), ` +
      `each sample counted to the innermost frame that tells: ${describeEntries(
        p.buckets.filter((b) => b.ms >= 0.5).sort((a, b) => b.ms - a.ms),
        p.buckets.length,
      )}.`,
    `Self time from source (node:sqlite's native work counts to the JS function that runs the statement, JSON.parse's to its caller): ${describeEntries(p.self, 10)}.`,
    `Bundled (one more run under \`--cpu-prof\`): ${(bundled.wallMs / 1000).toFixed(2)} s wall, ${(bundled.totalMs / 1000).toFixed(2)} s profiled, of which ` +
      `garbage collection ${pseudo(bundled, '(garbage collector)').toFixed(0)} ms and idle ${pseudo(bundled, '(idle)').toFixed(0)} ms; ` +
      `start-up up to the first await ${(bundled.inclusive.find((e) => e.name.startsWith('executeUserEntryPoint '))?.ms ?? 0).toFixed(0)} ms vs ${(p.inclusive.find((e) => e.name.startsWith('executeUserEntryPoint '))?.ms ?? 0).toFixed(0)} ms from source.`,
  ];
}

async function removeDb(db: string): Promise<void> {
  const dir = path.dirname(db);
  const base = path.basename(db);
  // the database, its WAL and shared memory, and the run lock ferry keeps next to it
  await Promise.all(
    (await readdir(dir)).filter((f) => f.startsWith(base)).map((f) => rm(path.join(dir, f), { force: true })),
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
