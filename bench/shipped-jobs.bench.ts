// The ready-made jobs as users run them (the executables `ferry build` makes of examples/file-import
// and examples/rest-import) against the hand-written imports they stand in for, in the same run:
// interleaved rounds, median wall time, peak RSS. Throughput ratios are baseline time ÷ ferry time.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { csvFile } from './lib/csv.ts';
import { buildExecutable } from './lib/executable.ts';
import { checkResult } from './lib/ferry-result.ts';
import { LoadLog } from './lib/load.ts';
import { runMeasured, type Command, type MeasuredExit } from './lib/measure.ts';
import { ndjsonFile } from './lib/records.ts';
import { atLeast, below, type BenchSection, type TargetCheck } from './lib/section.ts';
import { max, median } from './lib/stats.ts';
import { startPagedApi } from './fixtures/paged-api-server.ts';

const ROWS = Number(process.env.FERRY_BENCH_ROWS ?? 1_000_000);
const BIG = Number(process.env.FERRY_BENCH_BIG_ROWS ?? 5_000_000);
const API_RECORDS = 200_000;
const PAGE_SIZE = 1000;
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 3);
const ROOT = path.join(import.meta.dirname, '..');
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const NODE = process.execPath;
const PG = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

interface Run {
  label: string;
  /** Fresh state before the run (a new database or schema); the command to run. */
  command: (round: number) => Promise<Command>;
  /** Checks the run's output; throws when it did not do the work. */
  check?: (exit: MeasuredExit) => void;
}

interface Comparison {
  id: string;
  title: string;
  ferry: Run;
  baselines: Run[];
  /** Targets: each baseline's minimum ratio (baseline time ÷ ferry time). */
  targets: number[];
  /** A rerun over the database the ferry run left: its time ÷ the first run's, at most this. */
  rerun?: { run: Run; atMost: number };
}

export default async function shippedJobs(): Promise<BenchSection> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-shipped-'));
  const loads = new LoadLog();
  try {
    const fileImport = await buildExecutable(path.join(ROOT, 'examples/file-import/file-import.ts'), scratch);
    const restImport = await buildExecutable(path.join(ROOT, 'examples/rest-import/rest-import.ts'), scratch);
    const csv = (await csvFile(ROWS)).file;
    const ndjson = (await ndjsonFile(ROWS)).file;
    await using api = await startPagedApi(API_RECORDS, PAGE_SIZE);
    const db = (name: string, round: number) => path.join(scratch, `${name}-${round}.db`);
    const fresh = async (file: string) => (
      await rm(file, { force: true }),
      await rm(`${file}-wal`, { force: true }),
      file
    );
    const job = (file: string, args: string[], label: string): Command => ({
      label,
      file,
      args: [...args, '--log-format', 'json'],
      cwd: scratch,
    });
    const importing = (rows: number, expect: 'fresh' | 'unchanged') => (exit: MeasuredExit) =>
      void checkResult('', exit.stdout, rows, expect);
    const schema = (name: string, round: number) => `ferry_bench_${name}_${round}`;
    const schemaUrl = (s: string) => `${PG}${PG.includes('?') ? '&' : '?'}options=-c%20search_path%3D${s}`;
    const freshSchema = (s: string, keyedTable = false) => {
      const table = keyedTable
        ? `; CREATE TABLE ${s}.people (id text PRIMARY KEY, name text, email text, country text, status text, quantity text, score text, updated_at text)`
        : '';
      execFileSync('psql', [PG, '-qc', `DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}${table}`], {
        stdio: 'ignore',
      });
      return s;
    };

    const bareCsv: Run = {
      label: 'bare Node: uDSV + node:sqlite prepared upsert, commit every 10,000',
      command: async (r) => ({
        label: 'bare csv',
        file: NODE,
        args: [path.join(FIXTURES, 'bare-csv-loop.ts'), csv, await fresh(db('bare-csv', r))],
        cwd: scratch,
      }),
    };
    const python: Run = {
      label: 'Python stdlib: csv + sqlite3 executemany upsert, commit every 10,000',
      command: async (r) => ({
        label: 'python csv',
        file: 'python3',
        args: [path.join(FIXTURES, 'python_csv_upsert.py'), csv, await fresh(db('python', r))],
        cwd: scratch,
      }),
    };
    const comparisons: Comparison[] = [
      {
        id: 'csv-key',
        title: `CSV (8 columns) → SQLite, \`--key id\`, ${ROWS.toLocaleString('en')} rows`,
        ferry: {
          label: 'ferry: file-import as built',
          command: async (r) =>
            job(
              fileImport,
              ['--file', csv, '--key', 'id', '--table', 'people', '--db-path', await fresh(db('csv-key', r))],
              'file-import csv',
            ),
          check: importing(ROWS, 'fresh'),
        },
        baselines: [bareCsv, python],
        targets: [0.8, 2.5],
      },
      {
        id: 'csv-replace',
        title: `CSV → SQLite without a key (the file replaces its rows), ${ROWS.toLocaleString('en')} rows`,
        ferry: {
          label: 'ferry: file-import as built, no key',
          command: async (r) =>
            job(
              fileImport,
              ['--file', csv, '--table', 'people', '--db-path', await fresh(db('csv-replace', r))],
              'file-import replace',
            ),
          check: importing(ROWS, 'fresh'),
        },
        baselines: [bareCsv, python],
        targets: [0.8, 2.5],
      },
      {
        id: 'ndjson-key',
        title: `NDJSON (${11} fields) → SQLite, \`--key id\`, ${ROWS.toLocaleString('en')} rows`,
        ferry: {
          label: 'ferry: file-import as built',
          command: async (r) =>
            job(
              fileImport,
              ['--file', ndjson, '--key', 'id', '--table', 'records', '--db-path', await fresh(db('ndjson', r))],
              'file-import ndjson',
            ),
          check: importing(ROWS, 'fresh'),
        },
        baselines: [
          {
            label: 'bare Node: readline + JSON.parse + node:sqlite prepared upsert, commit every 10,000',
            command: async (r) => ({
              label: 'bare ndjson',
              file: NODE,
              args: [path.join(FIXTURES, 'bare-ndjson-loop.ts'), ndjson, await fresh(db('bare-ndjson', r))],
              cwd: scratch,
            }),
          },
        ],
        targets: [0.8],
      },
      {
        id: 'csv-postgres',
        title: `CSV → PostgreSQL (\`--db-url\`), \`--key id\`, ${ROWS.toLocaleString('en')} rows`,
        ferry: {
          label: 'ferry: file-import as built, a fresh schema',
          command: async (r) =>
            job(
              fileImport,
              ['--file', csv, '--key', 'id', '--table', 'people', '--db-url', schemaUrl(freshSchema(schema('pg', r)))],
              'file-import pg',
            ),
          check: importing(ROWS, 'fresh'),
        },
        baselines: [
          {
            label: '`psql \\copy` of the file into a table with a primary key',
            command: async (r) => ({
              label: 'psql copy',
              file: 'psql',
              args: [PG, '-qc', `\\copy ${freshSchema(schema('psql', r), true)}.people FROM '${csv}' CSV HEADER`],
              cwd: scratch,
            }),
          },
        ],
        targets: [0.6],
        rerun: {
          run: {
            label: 'ferry: the same again over unchanged data',
            command: async (r) =>
              job(
                fileImport,
                ['--file', csv, '--key', 'id', '--table', 'people', '--db-url', schemaUrl(schema('pg', r))],
                'file-import pg rerun',
              ),
            check: importing(ROWS, 'unchanged'),
          },
          atMost: 1.2,
        },
      },
      {
        id: 'rest',
        title: `rest-import from an instant local API, ${API_RECORDS.toLocaleString('en')} records, ${PAGE_SIZE.toLocaleString('en')} per page`,
        ferry: {
          label: 'ferry: rest-import as built',
          command: async (r) =>
            job(restImport, ['--api-url', api.url, '--db-path', await fresh(db('rest', r))], 'rest-import'),
          check: importing(API_RECORDS, 'fresh'),
        },
        baselines: [
          {
            label: 'bare Node: fetch, JSON.parse, each page stored in one transaction',
            command: async (r) => ({
              label: 'bare rest',
              file: NODE,
              args: [path.join(FIXTURES, 'bare-fetch-sqlite-loop.ts'), api.url, await fresh(db('bare-rest', r))],
              cwd: scratch,
            }),
          },
        ],
        targets: [0.9],
      },
    ];

    const results = new Map<string, MeasuredExit[]>();
    const measure = async (key: string, run: Run, round: number) => {
      await loads.wait(`${key} (round ${round + 1})`);
      const exit = await runMeasured(await run.command(round), scratch);
      run.check?.(exit);
      results.set(key, [...(results.get(key) ?? []), exit]);
      process.stderr.write(
        `  ${key.padEnd(28)} ${(exit.wallMs / 1000).toFixed(2)} s, CPU ${(exit.userS + exit.sysS).toFixed(2)} s, ${(exit.rssKb / 1024).toFixed(1)} MB\n`,
      );
    };
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      for (const c of comparisons) {
        const runs: [string, Run][] = [
          [`${c.id}: ferry`, c.ferry],
          ...c.baselines.map((b, i): [string, Run] => [`${c.id}: baseline ${i + 1}`, b]),
        ];
        for (const [key, run] of [...runs.slice(round % runs.length), ...runs.slice(0, round % runs.length)]) {
          await measure(key, run, round);
          if (run === c.ferry && c.rerun) await measure(`${c.id}: rerun`, c.rerun.run, round);
        }
      }
    }

    // Memory as the file grows: each file-import mode once at BIG rows.
    const big = BIG > 0 ? { csv: (await csvFile(BIG)).file, ndjson: (await ndjsonFile(BIG)).file } : undefined;
    const bigRuns: [string, Run][] = big
      ? [
          [
            `csv-key at ${BIG.toLocaleString('en')}`,
            {
              label: '',
              command: async () =>
                job(
                  fileImport,
                  ['--file', big.csv, '--key', 'id', '--table', 'people', '--db-path', await fresh(db('big-key', 0))],
                  'big csv',
                ),
              check: importing(BIG, 'fresh'),
            },
          ],
          [
            `csv-replace at ${BIG.toLocaleString('en')}`,
            {
              label: '',
              command: async () =>
                job(
                  fileImport,
                  ['--file', big.csv, '--table', 'people', '--db-path', await fresh(db('big-replace', 0))],
                  'big replace',
                ),
              check: importing(BIG, 'fresh'),
            },
          ],
          [
            `ndjson-key at ${BIG.toLocaleString('en')}`,
            {
              label: '',
              command: async () =>
                job(
                  fileImport,
                  [
                    '--file',
                    big.ndjson,
                    '--key',
                    'id',
                    '--table',
                    'records',
                    '--db-path',
                    await fresh(db('big-ndjson', 0)),
                  ],
                  'big ndjson',
                ),
              check: importing(BIG, 'fresh'),
            },
          ],
          [
            `csv-postgres at ${BIG.toLocaleString('en')}`,
            {
              label: '',
              command: async () =>
                job(
                  fileImport,
                  [
                    '--file',
                    big.csv,
                    '--key',
                    'id',
                    '--table',
                    'people',
                    '--db-url',
                    schemaUrl(freshSchema(schema('bigpg', 0))),
                  ],
                  'big pg',
                ),
              check: importing(BIG, 'fresh'),
            },
          ],
        ]
      : [];
    for (const [key, run] of bigRuns) await measure(key, run, 0);

    const wall = (key: string) => median((results.get(key) ?? []).map((e) => e.wallMs));
    const rss = (key: string) => max((results.get(key) ?? []).map((e) => e.rssKb / 1024));
    const cpu = (key: string) => median((results.get(key) ?? []).map((e) => e.userS + e.sysS));
    const rows: string[][] = [];
    const targets: TargetCheck[] = [];
    for (const c of comparisons) {
      const ferryKey = `${c.id}: ferry`;
      rows.push([c.title, '', '', '', '', '']);
      rows.push([
        c.ferry.label,
        (wall(ferryKey) / 1000).toFixed(2),
        cpu(ferryKey).toFixed(2),
        rss(ferryKey).toFixed(1),
        '',
        '',
      ]);
      if (c.rerun) {
        const rerunKey = `${c.id}: rerun`;
        const share = wall(rerunKey) / wall(ferryKey);
        rows.push([
          c.rerun.run.label,
          (wall(rerunKey) / 1000).toFixed(2),
          cpu(rerunKey).toFixed(2),
          rss(rerunKey).toFixed(1),
          `${share.toFixed(2)}× the first run`,
          '',
        ]);
        targets.push(below(`${c.id}: rerun over unchanged data ÷ first run`, share, c.rerun.atMost, '×', 2));
      }
      c.baselines.forEach((b, i) => {
        const key = `${c.id}: baseline ${i + 1}`;
        const ratio = wall(key) / wall(ferryKey);
        rows.push([
          b.label,
          (wall(key) / 1000).toFixed(2),
          cpu(key).toFixed(2),
          rss(key).toFixed(1),
          `${ratio.toFixed(2)}×`,
          `>= ${c.targets[i]}×`,
        ]);
        targets.push(atLeast(`${c.id}: ferry's throughput ÷ ${b.label.split(':')[0]}`, ratio, c.targets[i] ?? 1, '×'));
      });
      targets.push(below(`${c.id}: ferry's peak RSS at ${ROWS.toLocaleString('en')}`, rss(ferryKey), 100, 'MB'));
    }
    for (const [key] of bigRuns) {
      rows.push([`ferry: ${key}`, (wall(key) / 1000).toFixed(2), cpu(key).toFixed(2), rss(key).toFixed(1), '', '']);
      targets.push(below(`peak RSS, ${key}`, rss(key), 100, 'MB'));
    }
    return {
      title: 'The shipped jobs against hand-written imports',
      method:
        `The executables \`ferry build\` makes of examples/file-import and examples/rest-import, run as users run them, next to the hand-written loops they replace (bench/fixtures/), in ${ROUNDS} interleaved rounds (each round starts with a different command); median wall time, median CPU (user + system), peak RSS under GNU time. ` +
        `Data: bench/lib/csv.ts (8 text columns, a quoted "Last, First" in every row) and bench/lib/records.ts (11 fields, a nested object), generated once into bench/.cache/; the API serves pre-serialized pages (bench/fixtures/paged-api-server.ts). ` +
        "Every run is checked: the result line says succeeded with every record read and inserted (or, for the rerun, unchanged). A ratio is the baseline's time divided by ferry's: above 1, ferry is faster. " +
        `The ${BIG.toLocaleString('en')}-row runs measure memory, once each.`,
      table: {
        head: ['run', 'median wall s', 'median CPU s', 'peak RSS MB', 'ferry ÷ baseline (throughput)', 'target'],
        rows,
      },
      targets,
      notes: [loads.summary()],
    };
  } finally {
    for (const s of ['pg', 'psql', 'bigpg']) {
      for (let r = 0; r < ROUNDS; r++) {
        try {
          execFileSync('psql', [PG, '-qc', `DROP SCHEMA IF EXISTS ferry_bench_${s}_${r} CASCADE`], { stdio: 'ignore' });
        } catch {
          // the server is gone: nothing to drop
        }
      }
    }
    await rm(scratch, { recursive: true, force: true });
  }
}
