import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { SEMI_SPACE_MIB } from '../../../src/build/sea.ts';
import { fixture, run } from '../../helpers/spawn.ts';
import { tempFiles } from './temp-files.ts';

const files = await tempFiles();
const MB = 1024 * 1024;

const cases: [name: string, encoding: 'utf-8' | 'windows-1252'][] = [
  ['reads a 100 MB CSV with flat memory', 'utf-8'],
  ['decodes a 100 MB windows-1252 CSV with flat memory', 'windows-1252'],
];
for (const [name, encoding] of cases) {
  it(name, { timeout: 90_000 }, async (t) => {
    const file = path.join(files.dir, `big-${encoding}.csv`);
    const written = await writeBigCsv(file, 100 * MB, encoding);
    // In a process of its own: node:test's async tracking makes each await several times slower.
    // With the young-generation cap the built executables run with (src/build/sea.ts): without
    // it, V8 grows that space with the allocation rate, which is not the reader holding data.
    const { code, stdout, stderr } = await run(
      process.execPath,
      [
        `--max-semi-space-size=${SEMI_SPACE_MIB}`,
        '--conditions=source',
        fixture('files', 'count-csv.ts'),
        file,
        encoding,
      ],
      { timeoutMs: 80_000 },
    );
    assert.equal(code, 0, stderr);
    const { count, rejected, startRss, peakRss, ms } = JSON.parse(stdout) as Record<string, number>;
    assert.deepEqual({ count, rejected }, { count: written, rejected: 0 });
    const grown = Math.round(((peakRss ?? 0) - (startRss ?? 0)) / MB);
    // Holding the file would take more than its 100 MB; a streaming reader needs a few buffers
    // and whatever young-generation space V8 settles on (about 40 MB on Node 26).
    assert.ok(grown < 80, `rss grew by ${grown} MB reading ${count} records`);
    t.diagnostic(`100 MB ${encoding} CSV: ${count} records in ${ms} ms, rss +${grown} MB`);
  });
}

/**
 * Writes rows with quotes, an embedded newline and non-ASCII text until the file reaches `size`:
 * in UTF-8, or as an older Windows program saves it (one byte per character, € as 0x80).
 */
async function writeBigCsv(file: string, size: number, encoding: 'utf-8' | 'windows-1252'): Promise<number> {
  const city = encoding === 'utf-8' ? '東京' : 'Café €';
  const encode =
    encoding === 'utf-8'
      ? (text: string) => Buffer.from(text)
      : (text: string) => Buffer.from(text.replaceAll('€', '\x80'), 'latin1');
  const out = createWriteStream(file);
  out.write('id,name,city,note,amount\n');
  let bytes = 0;
  let rows = 0;
  while (bytes < size) {
    const block: string[] = [];
    for (let i = 0; i < 1000; i++, rows++)
      block.push(`${rows},"Zoë ${rows}",${city},"said ""hi""\nthen left",${rows * 1.5}\n`);
    const text = encode(block.join(''));
    bytes += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}
