// The file-import example job importing the same 1,000,000 rows as an XLSX workbook and as a CSV
// file, as shipped (the built executable): how much a workbook costs over a CSV in time and
// memory, and how the memory grows with the rows (the shared strings are held; the sheet streams).
import { mkdtemp, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { id } from 'ferry';
import { CSV_COLUMNS, csvFile, csvRowAt } from './lib/csv.ts';
import { buildExecutable } from './lib/executable.ts';
import { checkResult } from './lib/ferry-result.ts';
import { LoadLog } from './lib/load.ts';
import { runMeasured } from './lib/measure.ts';
import { removeDb } from './lib/sqlite-files.ts';
import type { BenchSection } from './lib/section.ts';
import { describeSourceStates, sourceState } from './lib/source-state.ts';
import { max, median } from './lib/stats.ts';
import { xlsxFile, xlsxRowAt } from './lib/xlsx.ts';

const ROWS = 1_000_000;
const SMALL = 200_000;
const ROUNDS = 3;
const JOB = path.join(import.meta.dirname, '..', 'examples/file-import/file-import.ts');
const TABLE = 'people';

type RunId = 'xlsx' | 'csv' | 'xlsxSmall' | 'csvSmall';

interface Run {
  format: 'xlsx' | 'csv';
  rows: number;
  label: string;
}

const RUNS: Record<RunId, Run> = {
  xlsx: { format: 'xlsx', rows: ROWS, label: 'XLSX workbook, `--key id`, fresh database' },
  csv: { format: 'csv', rows: ROWS, label: 'the same rows as CSV, `--key id`, fresh database' },
  xlsxSmall: { format: 'xlsx', rows: SMALL, label: 'XLSX workbook, `--key id`, fresh database' },
  csvSmall: { format: 'csv', rows: SMALL, label: 'the same rows as CSV, `--key id`, fresh database' },
};
const ORDER: RunId[] = ['xlsx', 'csv', 'xlsxSmall', 'csvSmall'];

interface Measured {
  wallMs: number;
  cpuS: number;
  rssKb: number;
  load: number;
}

export default async function xlsx(): Promise<BenchSection> {
  const started = performance.now();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-xlsx-'));
  const codeAtStart = await sourceState();
  try {
    const files: Record<'xlsx' | 'csv', Record<number, { file: string; bytes: number }>> = {
      xlsx: { [ROWS]: await dataFile('xlsx', ROWS), [SMALL]: await dataFile('xlsx', SMALL) },
      csv: { [ROWS]: await dataFile('csv', ROWS), [SMALL]: await dataFile('csv', SMALL) },
    };
    const fileOf = (run: Run) => files[run.format][run.rows]?.file ?? '';
    const executable = await buildExecutable(JOB, scratch);
    const loads = new LoadLog();
    const measured = new Map<RunId, Measured[]>(ORDER.map((runId) => [runId, []]));

    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      // Each round starts with the next run, so drift on the machine touches all alike.
      for (const runId of [...ORDER.slice(round % ORDER.length), ...ORDER.slice(0, round % ORDER.length)]) {
        const run = RUNS[runId];
        const db = path.join(scratch, `${runId}-${round}.db`);
        const { load } = await loads.wait(`${runId} (round ${round + 1})`);
        const args = ['--file', fileOf(run), '--key', 'id', '--table', TABLE, '--db-path', db, '--log-format', 'json'];
        const exit = await runMeasured({ label: run.label, file: executable, args, cwd: scratch }, scratch);
        checkResult(`${runId}: ${run.label}`, exit.stdout, run.rows, 'fresh');
        checkTable(db, run);
        await removeDb(db);
        measured.get(runId)?.push({ wallMs: exit.wallMs, cpuS: exit.userS + exit.sysS, rssKb: exit.rssKb, load });
        process.stderr.write(
          `  ${runId.padEnd(10)} ${(exit.wallMs / 1000).toFixed(2)} s, CPU ${(exit.userS + exit.sysS).toFixed(2)} s, ` +
            `${(exit.rssKb / 1024).toFixed(1)} MB, load ${load.toFixed(2)}\n`,
        );
      }
    }

    const get = (runId: RunId) => measured.get(runId) ?? [];
    const wall = (runId: RunId) => median(get(runId).map((m) => m.wallMs)) / 1000;
    const cpu = (runId: RunId) => median(get(runId).map((m) => m.cpuS));
    const rssMb = (runId: RunId) => max(get(runId).map((m) => m.rssKb / 1024));
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    const sizes = (format: 'xlsx' | 'csv') =>
      `${mib(files[format][ROWS]?.bytes ?? 0)} at ${ROWS.toLocaleString('en')} rows, ${mib(files[format][SMALL]?.bytes ?? 0)} at ${SMALL.toLocaleString('en')}`;
    const growth = (big: RunId, small: RunId) =>
      `${rssMb(big).toFixed(1)} MB at ${ROWS.toLocaleString('en')} rows vs ${rssMb(small).toFixed(1)} MB at ${SMALL.toLocaleString('en')} ` +
      `(${signed(rssMb(big) - rssMb(small))} MB for ${(ROWS - SMALL).toLocaleString('en')} more rows)`;
    const strings = STRING_COLUMNS * ROWS;

    return {
      title: `XLSX import: ${ROWS.toLocaleString('en')} rows as a workbook vs as CSV`,
      method:
        'The file-import example job runs as shipped: the single executable `ferry build` makes of examples/file-import/file-import.ts at the start of the benchmark. ' +
        `It imports the same rows (bench/lib/csv.ts: ${CSV_COLUMNS.length} columns — ${CSV_COLUMNS.join(', ')}) from a workbook (bench/lib/xlsx.ts, written the way Excel writes one: ` +
        `every string in the shared-strings table, quantity and score as numbers, updated_at as a date-time cell with a custom format; ${sizes('xlsx')}) ` +
        `and from a CSV file (${sizes('csv')}), into a table of TEXT columns keyed by id (\`--key id --table ${TABLE} --db-path <fresh file> --log-format json\`). ` +
        `${ROUNDS} interleaved rounds, each starting with the next command; each run under GNU \`/usr/bin/time -f "%M %U %S"\`: wall time from \`spawn()\` to exit (median), CPU time (user + system, median), peak RSS (max over the runs). ` +
        'Every run is checked: the result line says succeeded with every row read and inserted, the table holds exactly the rows, and 8 rows, found by their `_ferry_id`, match the generator column by column (from the workbook, updated_at is the ISO date-time without its zone).',
      table: {
        head: [
          'command',
          'rows',
          'median wall s',
          'range s',
          'records/s',
          'median CPU s',
          'peak RSS MB',
          'load at start',
          'runs',
        ],
        rows: ORDER.filter((runId) => get(runId).length > 0).map((runId) => {
          const walls = get(runId).map((m) => m.wallMs / 1000);
          const runLoads = get(runId).map((m) => m.load);
          return [
            RUNS[runId].label,
            RUNS[runId].rows.toLocaleString('en'),
            wall(runId).toFixed(2),
            `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`,
            Math.round(RUNS[runId].rows / wall(runId)).toLocaleString('en'),
            cpu(runId).toFixed(2),
            rssMb(runId).toFixed(1),
            `${Math.min(...runLoads).toFixed(2)}–${Math.max(...runLoads).toFixed(2)}`,
            String(get(runId).length),
          ];
        }),
      },
      targets: [],
      notes: [
        `XLSX / CSV at ${ROWS.toLocaleString('en')} rows: ${(wall('xlsx') / wall('csv')).toFixed(2)}× the wall time, ${(cpu('xlsx') / cpu('csv')).toFixed(2)}× the CPU time, ` +
          `${(rssMb('xlsx') / rssMb('csv')).toFixed(2)}× the peak RSS (${rssMb('xlsx').toFixed(1)} MB vs ${rssMb('csv').toFixed(1)} MB); ` +
          `at ${SMALL.toLocaleString('en')} rows ${(wall('xlsxSmall') / wall('csvSmall')).toFixed(2)}× the wall time.`,
        `Memory: the workbook's peak RSS is ${growth('xlsx', 'xlsxSmall')}; the CSV's ${growth('csv', 'csvSmall')}. ` +
          `The sheet streams, but the shared-strings table is held for the whole read: here ${strings.toLocaleString('en')} unique strings (${STRING_COLUMNS} of the ${CSV_COLUMNS.length} columns of every row are text), ` +
          'kept as UTF-8 in 1 MiB pages plus 4 bytes of offset each (src/sources/files/xlsx-shared-strings.ts). A workbook whose strings repeat (a status, a country) holds far fewer.',
        'file-import reads a workbook twice, the header and then the rows; the second read takes the shared-strings table the first one loaded (kept for a minute), so the table is read once.',
        `The data files are generated once into node_modules/.cache/ferry-bench/ (XLSX) and bench/.cache/ (CSV), and read through once before the runs, so every run finds them in the page cache.`,
        describeSourceStates(codeAtStart, await sourceState()),
        loads.summary(),
        `${os.availableParallelism()} cores, one process measured at a time; databases on ${os.tmpdir()}; whole benchmark ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}

/** The workbook's text columns: every cell of them is a shared string of its own. */
const STRING_COLUMNS = CSV_COLUMNS.length - 3;

/** The cached data file, generated if missing, then read through once so every run finds it in the page cache. */
async function dataFile(format: 'xlsx' | 'csv', rows: number): Promise<{ file: string; bytes: number }> {
  const progress = (n: number) => {
    if (n % 200_000 === 0 || n === rows)
      process.stderr.write(`  generating ${rows.toLocaleString('en')} rows of ${format}: ${n.toLocaleString('en')}\r`);
  };
  const data = format === 'xlsx' ? await xlsxFile(rows, progress) : await csvFile(rows, progress);
  if (data.generatedMs !== undefined)
    process.stderr.write(`\n  generated ${data.file} in ${(data.generatedMs / 1000).toFixed(1)} s\n`);
  for await (const _chunk of createReadStream(data.file, { highWaterMark: 1 << 20 }));
  return data;
}

const SPOT_AT = (rows: number) => [0, 1, 999, 1000, Math.floor(rows * 0.37), Math.floor(rows / 2), rows - 2, rows - 1];

/** The imported table: exactly the file's rows, and spot rows as the generator made them. */
function checkTable(dbPath: string, run: Run): void {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number };
    if (n !== run.rows) throw new Error(`${run.label}: ${n} rows in ${TABLE}, expected ${run.rows}`);
    const select = db.prepare(`SELECT * FROM ${TABLE} WHERE _ferry_id = ?`);
    for (const i of SPOT_AT(run.rows)) {
      const want: Record<string, string> = run.format === 'xlsx' ? xlsxRowAt(i) : csvRowAt(i);
      const got = select.get(id(want.id ?? '')) as Record<string, unknown> | undefined;
      if (!got) throw new Error(`${run.label}: no row for id ${want.id} (row ${i + 1})`);
      for (const [column, value] of Object.entries(want)) {
        if (got[column] !== value)
          throw new Error(
            `${run.label}: row ${i + 1}, column ${column}: ${JSON.stringify(got[column])}, expected ${JSON.stringify(value)}`,
          );
      }
    }
  } finally {
    db.close();
  }
}
