// Integers past 2^53 (64-bit keys, snowflake ids) and over-precise decimals reach the table as
// written: two ids one apart stay two rows, and a rerun finds them unchanged.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import type { Finished } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

const BIG = ['9007199254740993', '9007199254740992', '12345678901234567890123', '-9223372036854775809'];
const records = BIG.map(
  (n, i) => `{"id":${n},"price":0.1000000000000000055511151231257827,"seq":${i},"nested":{"ref":${n}}}`,
);

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-exact-'));
  return {
    db: path.join(dir, 'x.db'),
    file: async (name: string, text: string) => (await writeFile(path.join(dir, name), text), path.join(dir, name)),
  };
}

function counts(finished: Finished) {
  const last = parseEventLines(finished.stdout).at(-1);
  assert.ok(last?.type === 'result', finished.stderr);
  assert.equal(last.exitCode, 0, finished.stderr);
  return last.counts;
}

describe('numbers a double cannot hold, end to end', () => {
  for (const [format, text] of [
    ['ndjson', records.join('\n')],
    ['json', `[${records.join(',')}]`],
  ] as const) {
    it(`file-import ${format}: each big id is its own row, stored as written`, async () => {
      const w = await workspace();
      const file = await w.file(`big.${format}`, text);
      assert.equal(
        counts(await runExample('file-import', ['--db-path', w.db, '--file', file, '--key', 'id'])).inserted,
        4,
      );
      const rows = tableRows(w.db, 'big', 'seq');
      assert.deepEqual(
        rows.map((r) => r.id),
        BIG,
      );
      assert.deepEqual(
        rows.map((r) => r.price),
        BIG.map(() => '0.1000000000000000055511151231257827'),
      );
      assert.deepEqual(
        rows.map((r) => r.nested),
        BIG.map((n) => `{"ref":${n}}`),
      );
      const again = counts(await runExample('file-import', ['--db-path', w.db, '--file', file, '--key', 'id']));
      assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 4]);
    });
  }

  it('file-import: an integer of 22 digits or more, which JavaScript writes as 1e+21, is stored with its digits', async () => {
    const w = await workspace();
    const huge = ['100000000000000000000000000000', '-1000000000000000000000'];
    const lines = huge.map((n, i) => `{"seq":${i},"n":${n},"nested":{"ref":${n}}}`);
    const file = await w.file('huge.ndjson', lines.join('\n'));
    assert.equal(
      counts(await runExample('file-import', ['--db-path', w.db, '--file', file, '--key', 'seq'])).inserted,
      2,
    );
    const rows = tableRows(w.db, 'huge', 'seq');
    assert.deepEqual(
      rows.map((r) => [r.n, r.nested]),
      huge.map((n) => [n, `{"ref":${n}}`]),
    );
  });

  it('rest-import: big ids stay apart, data keeps the digits, a big cursor checkpoints exactly', async () => {
    const cursors = ['18446744073709551615', '18446744073709551616'];
    const asked: (string | null)[] = [];
    const server = createServer((req, res) => {
      const since = new URL(req.url ?? '/', 'http://x').searchParams.get('since');
      asked.push(since);
      const body = records.map((r, i) => r.replace('"seq"', `"v":${cursors[i % 2]},"seq"`));
      res.setHeader('content-type', 'application/json').end(`[${since === null ? body.join(',') : body[1]}]`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address() as { port: number };
      const w = await workspace();
      const args = ['--api-url', `http://127.0.0.1:${address.port}/items`, '--db-path', w.db, '--cursor-field', 'v'];
      assert.equal(counts(await runExample('rest-import', args)).inserted, 4);
      const rows = tableRows(w.db, 'items', 'id');
      assert.deepEqual(rows.map((r) => r.id).sort(), [...BIG].sort());
      for (const row of rows) assert.match(String(row.data), /"price":0\.1000000000000000055511151231257827/);
      const again = counts(await runExample('rest-import', args));
      assert.deepEqual([again.read, again.unchanged], [1, 1]);
      assert.deepEqual(asked, [null, '18446744073709551616']);
    } finally {
      server.close();
    }
  });
});
