// What typed columns cost file-import: the same 1,000,000-row CSV into SQLite with --no-infer (all
// text, as before) and with types inferred, on a fresh database (where inference reads the file
// to its end before the import) and again over the table the run left (where the table's types
// decide and the file is read once).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { csvFile } from './lib/csv.ts';
import { buildExecutable } from './lib/executable.ts';
import { runMeasured, type Command, type MeasuredExit } from './lib/measure.ts';
import { removeDb } from './lib/sqlite-files.ts';
import type { BenchSection } from './lib/section.ts';
import { max, median } from './lib/stats.ts';

const ROWS = 1_000_000;
const ROUNDS = 3;
const JOB = path.join(import.meta.dirname, '..', 'examples/file-import/file-import.ts');

interface Variant {
  label: string;
  /** The database it runs on: its own fresh one, or the one another variant left. */
  db: string;
  fresh: boolean;
  args: string[];
}

const TYPES = 'quantity=integer,score=numeric,updated_at=timestamptz,*=text';

export default async function typedColumns(): Promise<BenchSection> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-typed-'));
  try {
    const { file: csv } = await csvFile(ROWS);
    const job = await buildExecutable(JOB, scratch);
    const db = (name: string) => path.join(scratch, `${name}.db`);
    const variants: Variant[] = [
      { label: '`--no-infer` (every column text), fresh database', db: db('text'), fresh: true, args: ['--no-infer'] },
      {
        label: 'types inferred, fresh database (a pass to infer, then the import)',
        db: db('typed'),
        fresh: true,
        args: [],
      },
      {
        label: '`--types` for every column, fresh database (typed, no pass to infer)',
        db: db('given'),
        fresh: true,
        args: ['--types', TYPES],
      },
      {
        label: '`--no-infer` again over its table (unchanged data)',
        db: db('text'),
        fresh: false,
        args: ['--no-infer'],
      },
      { label: 'types inferred, again over its typed table (read once)', db: db('typed'), fresh: false, args: [] },
    ];
    const runs = new Map<Variant, MeasuredExit[]>(variants.map((v) => [v, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        if (v.fresh) await removeDb(v.db);
        const command: Command = {
          label: v.label,
          file: job,
          args: [
            '--file',
            csv,
            '--table',
            'people',
            '--key',
            'id',
            '--db-path',
            v.db,
            '--log-format',
            'json',
            ...v.args,
          ],
        };
        const exit = await runMeasured(command, scratch);
        checkCounts(v, exit);
        runs.get(v)?.push(exit);
      }
      console.log(`  round ${round + 1}/${ROUNDS}`);
    }
    const types = columnTypes(db('typed'));
    const cpu = (v: Variant) => median((runs.get(v) ?? []).map((r) => r.userS + r.sysS));
    const [text, typed, given, textAgain, typedAgain] = variants as [Variant, Variant, Variant, Variant, Variant];
    const rows = variants.map((v) => {
      const measured = runs.get(v) ?? [];
      const base = v.fresh ? cpu(text) : cpu(textAgain);
      return [
        v.label,
        (median(measured.map((r) => r.wallMs)) / 1000).toFixed(2),
        cpu(v).toFixed(2),
        `${(cpu(v) / base).toFixed(2)}×`,
        (max(measured.map((r) => r.rssKb)) / 1024).toFixed(1),
        String(measured.length),
      ];
    });
    return {
      title: 'Typed columns: what inference costs file-import, 1,000,000 rows',
      method: `The file-import example job as shipped (the single executable ferry build makes of it) imports the benchmark CSV (bench/lib/csv.ts, ${ROWS.toLocaleString('en')} rows, 8 columns) into SQLite with \`--key id\`: with \`--no-infer\` (every column TEXT, as before typed columns), with types inferred, and with the same types given by \`--types\`; then each of the first two again over the table it left. ${ROUNDS} interleaved rounds under GNU \`/usr/bin/time\`; median wall and CPU (user + system) time, peak RSS. CPU is the steadier figure on a shared machine; the ratio is against \`--no-infer\` in the same situation (fresh, or again). Every run is checked: succeeded, 1,000,000 read, all inserted (fresh) or all unchanged (again).`,
      table: { head: ['command', 'median wall s', 'median CPU s', 'CPU vs --no-infer', 'peak RSS MB', 'runs'], rows },
      targets: [],
      notes: [
        `Inferred types: ${Object.entries(types)
          .map(([c, t]) => `${c} ${t}`)
          .join(', ')}.`,
        `A first import with inference costs ${(cpu(typed) - cpu(text)).toFixed(2)} CPU s more than with \`--no-infer\`: ${(cpu(given) - cpu(text)).toFixed(2)} s of it typed writes (the \`--types\` row, no pass to infer), the rest the pass that reads the file to infer. Later imports into the typed table cost ${(cpu(typedAgain) - cpu(textAgain)).toFixed(2)} CPU s more than all-text ones.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function checkCounts(v: Variant, exit: MeasuredExit): void {
  const result = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as {
    status?: string;
    counts?: { read: number; inserted: number; unchanged: number };
  };
  const { read = 0, inserted = 0, unchanged = 0 } = result.counts ?? {};
  const ok = result.status === 'succeeded' && read === ROWS && (v.fresh ? inserted : unchanged) === ROWS;
  if (!ok) throw new Error(`${v.label}: unexpected result ${JSON.stringify(result)}`);
}

function columnTypes(file: string): Record<string, string> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const info = db.prepare('PRAGMA table_info(people)').all() as { name: string; type: string }[];
    return Object.fromEntries(info.filter((c) => !c.name.startsWith('_ferry')).map((c) => [c.name, c.type]));
  } finally {
    db.close();
  }
}
