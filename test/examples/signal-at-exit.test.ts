// A host that cancels a run as it ends (a user's click, a timeout firing late) sends SIGTERM at any
// instant: before the result it cancels (130), after it the run's own code stands. The process is
// never killed by the signal, whatever Node is doing while it tears down.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import type { Finished } from '../helpers/spawn.ts';

const TRIES = 50;

/**
 * Runs file-import and sends SIGTERM `delayMs` after its first output or after its result line;
 * says whether the signal went out after the result line (and before the exit).
 */
async function signalled(
  args: string[],
  from: 'first output' | 'result line',
  delayMs: number,
): Promise<{ finished: Finished; afterResult: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  let stdout = '';
  let afterResult = false;
  const finished = await runExample('file-import', args, {
    onOutput: (out, child) => {
      stdout = out;
      if (timer || (from === 'result line' && !out.includes('"type":"result"'))) return;
      timer = setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return; // already gone: nothing tried
        afterResult = stdout.includes('"type":"result"');
        child.kill('SIGTERM');
      }, delayMs);
    },
  });
  clearTimeout(timer);
  return { finished, afterResult };
}

/** What went wrong with one try, or undefined when its exit code is the one its output promised. */
function wrongWith(finished: Finished): string | undefined {
  if (finished.signal !== null) return `killed by ${finished.signal}`;
  let events;
  try {
    events = parseEventLines(finished.stdout);
  } catch {
    return finished.code === 130 ? undefined : `exit ${finished.code} without one result line`;
  }
  const result = events.at(-1);
  const expected = result?.type === 'result' ? result.exitCode : 130;
  return finished.code === expected
    ? undefined
    : `exit ${finished.code} after a ${result?.type === 'result' ? result.status : 'missing'} result`;
}

describe('file-import signalled as it ends', () => {
  it(`SIGTERM at ${TRIES} instants around the end of a run: never killed by the signal, and a printed result's code is the exit code`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-signal-'));
    const file = path.join(dir, 'tiny.csv');
    await writeFile(file, 'id,name\n1,a\n2,b\n');
    const args = ['--db-path', path.join(dir, 'tiny.db'), '--file', file, '--key', 'id'];

    // How long this machine takes from the first output to the result line, and from there to the exit, now.
    const timings: { span: number; tail: number }[] = [];
    for (let i = 0; i < 3; i++) {
      let firstAt = 0;
      let resultAt = 0;
      await runExample('file-import', args, {
        onOutput: (out) => {
          firstAt ||= performance.now();
          if (resultAt === 0 && out.includes('"type":"result"')) resultAt = performance.now();
        },
      });
      timings.push({ span: resultAt - firstAt, tail: performance.now() - resultAt });
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[1] ?? 0;
    const span = median(timings.map((t) => t.span));
    const tail = median(timings.map((t) => t.tail));

    // Every other try aims at the teardown (after the result line), the rest at the run's last moments.
    const wrong: string[] = [];
    let afterResults = 0;
    for (let i = 0; i < TRIES; i++) {
      const from = i % 2 === 0 ? 'result line' : 'first output';
      const delayMs = from === 'result line' ? Math.random() * tail : span * (0.5 + Math.random() / 2);
      const { finished, afterResult } = await signalled(args, from, delayMs);
      if (afterResult) afterResults++;
      const what = wrongWith(finished);
      if (what)
        wrong.push(
          `SIGTERM ${delayMs.toFixed(1)} ms after the ${from} (${afterResult ? 'after' : 'before'} the result line): ${what}`,
        );
    }
    assert.deepEqual(wrong, []);
    assert.ok(
      afterResults >= 10,
      `only ${afterResults} of ${TRIES} signals came between the result line and the exit: the test did not try the teardown`,
    );
  });
});
