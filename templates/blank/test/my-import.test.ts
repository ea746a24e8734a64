import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { verifyJob } from 'ferry/testing';

it('is safe to retry: reruns, kills at random instants and SIGTERM all end with the same table', async () => {
  const lines: string[] = [];
  const report = await verifyJob({
    target: 'jobs/my-import.ts',
    args: ['--count', '500'],
    trials: 4,
    onProgress: (l) => lines.push(l),
  });
  assert.ok(report.ok, lines.join('\n'));
  assert.match(report.checks[0]?.detail ?? '', /items: 500 rows/);
});

it('.env.example is what the job generates (npm run env-example)', async () => {
  const generated = execFileSync(process.execPath, ['jobs/my-import.ts', 'env-example'], { encoding: 'utf8' });
  assert.equal(await readFile('.env.example', 'utf8'), generated);
});
