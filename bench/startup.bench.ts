// Start-to-exit time and peak RSS of a job that does nothing: the floor every job pays.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleJob } from './lib/bundle.ts';
import { runChecked, sample, type Command, type Samples } from './lib/measure.ts';
import { max, median, percentile, ratio } from './lib/stats.ts';
import { below, type BenchSection } from './lib/section.ts';

const RUNS = 30;
const WARMUPS = 3;
const TARGET_MS = 60;
const TARGET_MB = 60;
const FIXTURE = path.join(import.meta.dirname, 'fixtures/noop-job.ts');
const NODE = process.execPath;

export default async function startup(): Promise<BenchSection> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-startup-'));
  try {
    const bundle = await bundleJob(FIXTURE, path.join(scratch, 'noop-job.mjs'));
    const baseline: Command = { label: 'baseline: `node -e 0`', file: NODE, args: ['-e', '0'], cwd: scratch };
    const noop: Command = {
      label: 'bundled no-op run: `node noop-job.mjs`',
      file: NODE,
      args: [bundle.file],
      cwd: scratch,
    };
    const help: Command = { label: 'bundled `--help`', file: NODE, args: [bundle.file, '--help'], cwd: scratch };
    const source: Command = {
      label: 'from source (info): `node --conditions=source noop-job.ts`',
      file: NODE,
      args: ['--conditions=source', FIXTURE],
      cwd: scratch,
    };
    await verifyRun(noop);
    await verifyRun(source);
    await verifyHelp(help);

    const samples = await sample([baseline, noop, help, source], { runs: RUNS, warmups: WARMUPS, onRound: progress });
    const [base, run] = samples;
    if (!base || !run) throw new Error('missing samples');
    const mb = (s: Samples) => s.rssKb.map((kb) => kb / 1024);
    const baseMs = median(base.wallMs);
    const baseMb = median(mb(base));

    return {
      title: 'Start-up: a no-op job',
      method:
        `Each command is started as a real process, ${RUNS} times after ${WARMUPS} warm-up rounds, in interleaved rounds ` +
        '(every command once per round) with stdout and stderr to pipes and an environment of PATH only. ' +
        'Wall time runs from `spawn()` to the exit event in the benchmark process; peak RSS comes from a separate run ' +
        'of the same command under GNU `/usr/bin/time -f %M` in the same round, so the timed runs do not pay for `time`.',
      table: {
        head: [
          'command',
          'median ms',
          'p95 ms',
          'over baseline ms',
          '× baseline',
          'median peak RSS MB',
          'max peak RSS MB',
          'RSS × baseline',
        ],
        rows: samples.map((s) => [
          s.command.label,
          median(s.wallMs).toFixed(1),
          percentile(s.wallMs, 95).toFixed(1),
          s === base ? '' : `+${(median(s.wallMs) - baseMs).toFixed(1)}`,
          ratio(median(s.wallMs), baseMs),
          median(mb(s)).toFixed(1),
          max(mb(s)).toFixed(1),
          ratio(median(mb(s)), baseMb),
        ]),
      },
      targets: [
        below('median wall time of the bundled no-op run', median(run.wallMs), TARGET_MS, 'ms'),
        below('peak RSS of the bundled no-op run (max over the runs)', max(mb(run)), TARGET_MB, 'MB'),
      ],
      notes: [
        `Bundle: ${(bundle.bytes / 1024).toFixed(0)} KB from ${bundle.inputs} input files; esbuild, platform node, ESM, ` +
          "target node24, conditions ['source'], minified, with a `createRequire` banner for the CommonJS dependencies (commander).",
        'Page cache: a file just written (the bundle) or not yet read (the node binary) starts slower and can map more pages ' +
          `on its first runs, so the ${WARMUPS} warm-up rounds are measured but discarded.`,
        'MB = 1024 KiB, as GNU time reports %M (maximum resident set size) in KiB; the baseline is mostly the node binary itself.',
        'The run from source is for information: Node strips the types of every .ts module as it loads it; jobs ship bundled.',
        `${os.availableParallelism()} cores; one process at a time, so the figures include no contention from the benchmark itself.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A no-op run prints a start line and a succeeded result line, and exits 0. */
async function verifyRun(command: Command): Promise<void> {
  const { stdout } = await runChecked(command);
  const events = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type?: string; status?: string });
  const [first, last] = [events[0], events.at(-1)];
  if (first?.type !== 'start' || last?.type !== 'result' || last.status !== 'succeeded') {
    throw new Error(`${command.label}: expected a start and a succeeded result line, got:\n${stdout}`);
  }
}

async function verifyHelp(command: Command): Promise<void> {
  const { stdout } = await runChecked(command);
  if (!stdout.startsWith('Usage: noop')) throw new Error(`${command.label}: expected usage, got:\n${stdout}`);
}

function progress(round: number, rounds: number): void {
  process.stderr.write(round === rounds ? `. ${rounds} rounds\n` : '.');
}
