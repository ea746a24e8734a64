// Runs the benchmarks and writes bench/RESULTS.md.
//   node --conditions=source bench/run.ts             every bench/*.bench.ts
//   node --conditions=source bench/run.ts startup     only bench/startup.bench.ts; other sections are kept
// A benchmark is a file bench/<id>.bench.ts whose default export resolves to a BenchSection
// (lib/section.ts); its section in RESULTS.md sits between <!-- bench:<id> --> markers.
// Helpers to start processes and sum up samples are in lib/measure.ts and lib/stats.ts.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMachine, formatMachine } from './lib/machine.ts';
import { renderHeader, renderSection, writeResults } from './lib/results.ts';
import type { BenchSection } from './lib/section.ts';

const BENCH_DIR = import.meta.dirname;
const RESULTS = path.join(BENCH_DIR, 'RESULTS.md');
const SUFFIX = '.bench.ts';

const available = (await readdir(BENCH_DIR))
  .filter((f) => f.endsWith(SUFFIX))
  .map((f) => f.slice(0, -SUFFIX.length))
  .sort();
const wanted = process.argv.slice(2).map((arg) => path.basename(arg, SUFFIX));
const unknown = wanted.filter((id) => !available.includes(id));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (have: ${available.join(', ')})`);
  process.exit(64);
}
const ids = wanted.length > 0 ? [...new Set(wanted)] : available;

const machine = formatMachine(describeMachine());
const sections = new Map<string, string>();
const failed: string[] = [];
console.log(`Machine: ${machine}\n`);

for (const id of ids) {
  console.log(`== ${id}`);
  try {
    const module = (await import(pathToFileURL(path.join(BENCH_DIR, `${id}${SUFFIX}`)).href)) as {
      default: () => Promise<BenchSection>;
    };
    const load = os.loadavg()[0]?.toFixed(2); // before the run: how busy the machine was anyway
    const section = await module.default();
    const block = renderSection(
      id,
      section,
      `Measured ${new Date().toISOString()} on ${machine}; load average ${load} before the run`,
    );
    sections.set(id, block);
    // Written after every benchmark, so a later crash loses nothing measured.
    await writeResults(RESULTS, renderHeader(new Date(), machine, [...sections.keys()]), sections);
    console.log(`\n${block}\n`);
    failed.push(
      ...section.targets.filter((t) => !t.pass).map((t) => `${id}: ${t.what} ${t.target} (measured ${t.measured})`),
    );
  } catch (error) {
    console.error(`${id} failed:`, error);
    process.exitCode = 1;
  }
}

console.log(`Wrote ${path.relative(process.cwd(), RESULTS)} (${[...sections.keys()].join(', ') || 'nothing'}).`);
for (const miss of failed) console.log(`target missed: ${miss}`);
