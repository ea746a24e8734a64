// The 100-trial `ferry verify` run on the two example jobs, built as shipped: file-import of a
// 20,000-row CSV, and rest-import of a 3,000-record API on 127.0.0.1 (the demo API).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyJob, type VerifyReport } from 'ferry/testing';
import { startDemoApi } from '../examples/demo-api/demo-api.ts';
import { builtExample } from '../test/helpers/built-examples.ts';
import { waitForQuiet } from './lib/load.ts';
import type { BenchSection } from './lib/section.ts';

const TRIALS = Number(process.env.FERRY_SOAK_TRIALS ?? 100);

export default async function verifySoak(): Promise<BenchSection> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-soak-'));
  try {
    const csv = path.join(scratch, 'items.csv');
    await writeFile(
      csv,
      `id,name,qty,note\n${Array.from({ length: 20_000 }, (_, i) => `${i},name ${i},${i % 97},"a, ""quoted"" note"`).join('\n')}\n`,
    );
    await waitForQuiet();
    const files = await timed(async () =>
      verifyJob({
        target: await builtExample('file-import'),
        args: ['--file', csv, '--key', 'id'],
        trials: TRIALS,
        concurrent: true,
      }),
    );
    await using api = await startDemoApi({ records: 3000 });
    await waitForQuiet();
    const rest = await timed(async () =>
      verifyJob({
        target: await builtExample('rest-import'),
        args: ['--api-url', api.url, '--cursor-field', 'updatedAt', '--page-size-param', 'limit', '--page-size', '100'],
        trials: TRIALS,
        concurrent: true,
      }),
    );
    const row = (name: string, r: { report: VerifyReport; ms: number }) => {
      const kills = r.report.checks.filter((c) => c.name.startsWith('kill trial'));
      const midRun = kills.filter((c) => /^killed at \d+ ms/.test(c.detail)).length;
      return [
        name,
        String(kills.length),
        String(kills.filter((c) => c.ok).length),
        String(midRun),
        r.report.checks.every((c) => c.ok) ? 'all hold' : 'FAILED',
        `${Math.round(r.report.referenceMs)}`,
        `${(r.ms / 60_000).toFixed(1)}`,
      ];
    };
    return {
      title: `ferry verify: ${TRIALS} kill trials on each example job`,
      method: `\`verifyJob\` (the library behind \`ferry verify\`) on the built executables: a reference run, a rerun that must change nothing, ${TRIALS} SIGKILL trials (every fourth killed three times in a row) each run to completion and compared table by table with the reference, a SIGTERM trial, and two runs at once.`,
      table: {
        head: [
          'job',
          'kill trials',
          'equal to reference',
          'killed mid-run (first kill)',
          'all checks',
          'reference run ms',
          'total min',
        ],
        rows: [
          row('file-import, 20,000-row CSV, --key id', files),
          row('rest-import, 3,000 records, incremental', rest),
        ],
      },
      targets: [
        {
          what: 'file-import: every check holds',
          target: 'all',
          measured: files.report.ok ? 'all' : 'some failed',
          pass: files.report.ok,
        },
        {
          what: 'rest-import: every check holds',
          target: 'all',
          measured: rest.report.ok ? 'all' : 'some failed',
          pass: rest.report.ok,
        },
      ],
      notes: [
        'A kill drawn after the run would have ended ("after it ended") leaves a completed run: the trial still checks the rerun.',
        ...failedChecks('file-import', files.report),
        ...failedChecks('rest-import', rest.report),
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ report: T; ms: number }> {
  const started = performance.now();
  const report = await work();
  return { report, ms: performance.now() - started };
}

/** A line per failed check, with what it saw. */
function failedChecks(name: string, report: VerifyReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => `${name}: ✖ ${c.name}: ${c.detail}`);
}
