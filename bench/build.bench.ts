// `ferry build`: start-up and peak RSS of a single executable, its size per target (raw, gzip,
// xz) and how long a build takes. Cross builds download Node binaries from the npm registry
// once (cached in node_modules/.cache/ferry, as the tests do).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGzip, constants as zlib } from 'node:zlib';
import { buildJob, TARGETS, type Built, type BuildOptions } from '../src/build/index.ts';
import { dropFromPageCache } from './lib/page-cache.ts';
import { peakRssKb, runChecked, sample, type Command, type Samples } from './lib/measure.ts';
import { below, type BenchSection, type TargetCheck } from './lib/section.ts';
import { max, median, percentile, ratio } from './lib/stats.ts';

const RUNS = 30;
const WARMUPS = 3;
const HOT_RUNS = 5;
const TARGET_MS = 50;
const TARGET_RSS_MB = 50;
const TARGET_RAW_MB = 115;
const TARGET_XZ_MB = 28;
const TARGET_BUILD_S = 10;
const MB = 2 ** 20;
const ROOT = path.join(import.meta.dirname, '..');
const NOOP = path.join(import.meta.dirname, 'fixtures/noop-job.ts');
const FILE_IMPORT = path.join(ROOT, 'examples/file-import/file-import.ts');
const REST_IMPORT = path.join(ROOT, 'examples/rest-import/rest-import.ts');
/** One executable of several jobs may be this much bigger than the biggest of them built alone. */
const TARGET_SEVERAL_RATIO = 1.05;
const CACHE = path.join(ROOT, 'node_modules/.cache/ferry');
const NODE = process.execPath;

interface TargetRow {
  built: Built;
  /** Wall time of a build with the Node binary already downloaded and prepared: bundle + inject. */
  buildMs: number;
  /** The first build's extra: download and strip/unsign, when this run had to do them. */
  firstMs: number;
  gzBytes: number;
  xzBytes: number;
}

export default async function build(): Promise<BenchSection> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-build-'));
  const options = (outDir: string, more: Partial<BuildOptions> = {}): BuildOptions => ({
    entry: NOOP,
    outDir,
    conditions: ['source'],
    cacheDir: CACHE,
    env: process.env,
    cwd: ROOT,
    ...more,
  });
  try {
    // Start-up: the no-op job as a single executable, with and without V8's code cache; file-import's --help.
    const [noop] = (await buildJob(options(path.join(scratch, 'cc')))).outputs;
    const [noopPlain] = (await buildJob(options(path.join(scratch, 'plain'), { codeCache: false }))).outputs;
    const [fileImport] = (await buildJob(options(path.join(scratch, 'fi'), { entry: FILE_IMPORT }))).outputs;
    const [restImport] = (await buildJob(options(path.join(scratch, 'ri'), { entry: REST_IMPORT }))).outputs;
    const [importers] = (
      await buildJob(options(path.join(scratch, 'both'), { entry: [FILE_IMPORT, REST_IMPORT], name: 'importers' }))
    ).outputs;
    if (!noop || !noopPlain || !fileImport || !restImport || !importers) throw new Error('missing build outputs');
    const run: Command = { label: 'built no-op job, a run: `./noop`', file: noop.file, args: [], cwd: scratch };
    const hotRss = await rssRuns(run, scratch, HOT_RUNS);
    for (const file of [noop.file, noopPlain.file, fileImport.file, restImport.file, importers.file])
      await dropFromPageCache(file);

    const commands: Command[] = [
      { label: 'baseline: `node -e 0`', file: NODE, args: ['-e', '0'], cwd: scratch },
      run,
      { label: 'built no-op job, `--help`', file: noop.file, args: ['--help'], cwd: scratch },
      { label: '(info) built no-op job without code cache, a run', file: noopPlain.file, args: [], cwd: scratch },
      { label: '(info) built file-import, `--help`', file: fileImport.file, args: ['--help'], cwd: scratch },
      {
        label: '(info) built importers (file-import and rest-import in one), `importers file-import --help`',
        file: importers.file,
        args: ['file-import', '--help'],
        cwd: scratch,
      },
    ];
    await verifyRun(run);
    const samples = await sample(commands, { runs: RUNS, warmups: WARMUPS, onRound: progress });
    const [base, noopRun] = samples;
    if (!base || !noopRun) throw new Error('missing samples');

    // Size and build time per target, for file-import.
    const rows: TargetRow[] = [];
    for (const target of TARGETS) {
      const first = performance.now();
      await buildJob(options(path.join(scratch, 'warm'), { entry: FILE_IMPORT, targets: [target] })); // downloads and prepares once
      const firstMs = performance.now() - first;
      const started = performance.now();
      const [built] = (await buildJob(options(path.join(scratch, 'sizes'), { entry: FILE_IMPORT, targets: [target] })))
        .outputs;
      const buildMs = performance.now() - started;
      if (!built) throw new Error(`no ${target.id} output`);
      process.stderr.write(`${target.id}: compressing ${(built.bytes / MB).toFixed(1)} MB\n`);
      rows.push({
        built,
        buildMs,
        firstMs: Math.max(0, firstMs - buildMs),
        gzBytes: await gzipBytes(built.file),
        xzBytes: await xzBytes(built.file),
      });
    }

    // One executable for two jobs, next to each built alone: host builds, code cache, stripped.
    const several = await Promise.all(
      [fileImport, restImport, importers].map(async (built) => ({
        built,
        gzBytes: await gzipBytes(built.file),
        xzBytes: await xzBytes(built.file),
      })),
    );
    const biggestAlone = Math.max(fileImport.bytes, restImport.bytes);

    const mb = (s: Samples) => s.rssKb.map((kb) => kb / 1024);
    const baseMs = median(base.wallMs);
    return {
      title: 'Single executables: start-up, size, build time (`ferry build`)',
      method:
        `Start-up: each command is started as a real process, ${RUNS} times after ${WARMUPS} warm-up rounds, in interleaved rounds ` +
        'with stdout and stderr to pipes and an environment of PATH only; wall time from `spawn()` to exit, peak RSS from a separate run under ' +
        'GNU `/usr/bin/time -f %M` in the same round (as in the start-up benchmark). The executables are host builds (this Node, stripped, ' +
        'V8 code cache unless said otherwise) of bench/fixtures/noop-job.ts and examples/file-import, dropped from the page cache after the build ' +
        '(`sync`, then `dd iflag=nocache count=0`), so they are read from disk as after an install or a reboot. Sizes and build times: ' +
        "examples/file-import built for each target; build time is one `buildJob` (bundle, inject, sha256) with the target's Node binary already " +
        'downloaded and prepared; gzip is zlib level 9, xz is `xz -6 -T0`.',
      table: {
        head: [
          'what',
          'median ms',
          'p95 ms',
          'over baseline ms',
          '× baseline',
          'median peak RSS MB',
          'max peak RSS MB',
          'raw MB',
          'gzip MB',
          'xz MB',
          'build s',
          'first build extra s',
        ],
        rows: [
          ...samples.map((s) => [
            s.command.label,
            median(s.wallMs).toFixed(1),
            percentile(s.wallMs, 95).toFixed(1),
            s === base ? '' : `+${(median(s.wallMs) - baseMs).toFixed(1)}`,
            ratio(median(s.wallMs), baseMs),
            median(mb(s)).toFixed(1),
            max(mb(s)).toFixed(1),
            '',
            '',
            '',
            '',
            '',
          ]),
          [
            '(info) built no-op job, a run, just after the build (not dropped from the page cache)',
            '',
            '',
            '',
            '',
            (median(hotRss) / 1024).toFixed(1),
            (max(hotRss) / 1024).toFixed(1),
            '',
            '',
            '',
            '',
            '',
          ],
          ...several.map((r) =>
            sizeRow(
              r.built === importers
                ? `importers: file-import and rest-import in one executable (host), ${ratio(r.built.bytes, biggestAlone)} the bigger alone`
                : `${path.basename(r.built.file)} alone (host), for the row above`,
              r,
            ),
          ),
          ...rows.map((r) =>
            sizeRow(
              `file-import for ${r.built.target.id}${r.built.host ? ' (host)' : ''}: ${[r.built.prepared ?? 'not stripped', r.built.codeCache ? 'code cache' : 'no code cache'].join(', ')}`,
              r,
              [(r.buildMs / 1000).toFixed(1), (r.firstMs / 1000).toFixed(1)],
            ),
          ),
        ],
      },
      targets: [
        below('median wall time of the built no-op run', median(noopRun.wallMs), TARGET_MS, 'ms'),
        below('peak RSS of the built no-op run (max over the runs)', max(mb(noopRun)), TARGET_RSS_MB, 'MB'),
        atMost(
          'raw size of importers (two jobs), in % of the bigger job built alone',
          (100 * importers.bytes) / biggestAlone,
          100 * TARGET_SEVERAL_RATIO,
          '%',
        ),
        ...rows.flatMap((r): TargetCheck[] => [
          atMost(`raw size, ${r.built.target.id}`, r.built.bytes / MB, TARGET_RAW_MB, 'MB'),
          atMost(`xz size, ${r.built.target.id}`, r.xzBytes / MB, TARGET_XZ_MB, 'MB'),
          below(`build time, ${r.built.target.id}`, r.buildMs / 1000, TARGET_BUILD_S, 's'),
        ]),
      ],
      notes: [
        `MB = 2^20 bytes (GNU time reports KiB); in decimal megabytes: ${rows.map((r) => `${r.built.target.id} ${(r.built.bytes / 1e6).toFixed(1)} raw, ${(r.xzBytes / 1e6).toFixed(1)} xz`).join('; ')}.`,
        'Page cache: a file written in large chunks (as node --build-sea writes its output) is cached in large folios, and every page of a folio ' +
          'a process touches counts in its RSS: the same executable shows ~40 MB more peak RSS until its pages are dropped and read back from disk. ' +
          'Warm-up runs do not change that; the "just after the build" row shows it.',
        'Code cache: V8 compiles the bundle at build time (host builds only: the cache is good only for the V8 that made it). It makes the host ' +
          "executable differ on every build (V8's cache is not byte-reproducible); `--no-code-cache` builds, and all cross builds, are reproducible.",
        'Linux binaries are stripped (symbols and debug info, ~32 MB) before injection; darwin binaries lose their local symbols only ' +
          '(llvm-strip -x, ~36 MB; global symbols and load commands stay; not run on a Mac here: see docs/building.md) and carry no signature ' +
          "after injection: they must be signed on a Mac. The Windows binary loses node.exe's signature " +
          '(osslsigncode remove-signature) before injection.',
        `Node binaries come from the npm registry (node-<os>-<arch> ${process.versions.node}); the first build of each target downloads and prepares ` +
          'it once ("first build extra", 0 when the cache already had it).',
        'importers is `ferry build examples/file-import/file-import.ts examples/rest-import/rest-import.ts --name importers`: one Node, ' +
          'one bundle in which ferry and the shared dependencies appear once and each job module is evaluated only when it is run.',
        `${os.availableParallelism()} cores; one process at a time.`,
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A table row of sizes only: raw, gzip and xz MB, and the build times when measured. */
function sizeRow(
  label: string,
  r: { built: Built; gzBytes: number; xzBytes: number },
  times: [string, string] = ['', ''],
): string[] {
  const size = (bytes: number) => (bytes / MB).toFixed(1);
  return [label, '', '', '', '', '', '', size(r.built.bytes), size(r.gzBytes), size(r.xzBytes), ...times];
}

function atMost(what: string, value: number, limit: number, unit: string): TargetCheck {
  return { what, target: `<= ${limit} ${unit}`, measured: `${value.toFixed(1)} ${unit}`, pass: value <= limit };
}

/** Peak RSS of `runs` runs, KiB. */
async function rssRuns(command: Command, scratch: string, runs: number): Promise<number[]> {
  const kb: number[] = [];
  for (let i = 0; i < runs; i++) kb.push(await peakRssKb(command, scratch));
  return kb;
}

async function gzipBytes(file: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    createReadStream(file),
    createGzip({ level: zlib.Z_BEST_COMPRESSION }),
    new Writable({
      write(chunk: Buffer, _e, done) {
        bytes += chunk.length;
        done();
      },
    }),
  );
  return bytes;
}

async function xzBytes(file: string): Promise<number> {
  const child = spawn('xz', ['-6', '-T0', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`xz exited ${code}`);
  return bytes;
}

/** A no-op run prints a start line and a succeeded result line, and exits 0, with nothing on stderr. */
async function verifyRun(command: Command): Promise<void> {
  const { stdout, stderr } = await runChecked(command);
  const events = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type?: string; status?: string });
  if (
    events.length !== 2 ||
    events[0]?.type !== 'start' ||
    events[1]?.type !== 'result' ||
    events[1].status !== 'succeeded' ||
    stderr !== ''
  ) {
    throw new Error(
      `${command.label}: expected a start and a succeeded result line and no stderr, got:\n${stdout}\n${stderr}`,
    );
  }
}

function progress(round: number, rounds: number): void {
  process.stderr.write(round === rounds ? `. ${rounds} rounds\n` : '.');
}
