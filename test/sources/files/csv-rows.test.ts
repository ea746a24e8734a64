import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CsvRows } from '../../../src/sources/files/csv-rows.ts';

const settings = { delimiter: ',', maxRecordBytes: 64 * 1024 * 1024, onHeader: undefined };

function items(pieces: Iterable<string>): unknown[] {
  const rows = new CsvRows('t.csv', settings);
  const out: unknown[] = [];
  for (const piece of pieces) out.push(...rows.push(piece));
  out.push(...rows.end());
  rows.throwIfBroken();
  return out;
}

function* split(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

it('a CSV text cut into pieces of any size reads as the whole', () => {
  const texts = [
    'id,v\r\n1,"a\r\nb"\r\n\r\n2,plain\r\n3,"say ""hi"""\r\n4,last',
    'id,v\r1,a\r2,"b\rc"\r3,x\r',
    'id,v\n1,a,extra\n2,"x,y"\n',
  ];
  for (const text of texts) {
    const whole = items([text]);
    assert.ok(whole.length >= 2, JSON.stringify(whole));
    for (let size = 1; size <= text.length; size++)
      assert.deepEqual(items(split(text, size)), whole, `${JSON.stringify(text)} in pieces of ${size}`);
  }
});

it('a 60 MB field, quoted or not, in 64 KB pieces is parsed once, not again with each piece', () => {
  for (const [open, close] of [
    ['"', '"'],
    ['', ''],
  ]) {
    const started = performance.now();
    const field = 'x'.repeat(64 * 1024);
    const pieces = function* () {
      yield `id,v\n1,${open}`;
      for (let n = 0; n < 960; n++) yield field;
      yield `${close}\n2,b\n`;
    };
    const read = items(pieces()) as { record: { v: string } }[];
    assert.deepEqual(
      read.map((item) => item.record.v.length),
      [960 * field.length, 1],
    );
    // Parsed again with each piece, it took a minute; once, well under a second.
    const ms = performance.now() - started;
    assert.ok(ms < 5_000, `${open ? 'quoted' : 'plain'}: ${Math.round(ms)} ms`);
  }
});

// Records are made by an object literal generated from the header: names that are code, or that
// an object literal reads its own way, must come out as fields exactly as written.
const HOSTILE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  '1',
  '0x1',
  '"}); process.exit(9); ({"',
  'a\\b',
  'line\nbreak',
  '\u2028sep\u2029',
  '${x}',
  '`',
  'valueOf',
];

function csvField(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

it('header names that are code, or special to an object literal, are plain own fields', () => {
  const text = `${HOSTILE_NAMES.map(csvField).join(',')}\n${HOSTILE_NAMES.map((_, i) => `v${i}`).join(',')}\n`;
  const [item] = items([text]) as { ok: boolean; record: Record<string, string> }[];
  assert.ok(item?.ok);
  const record = item.record;
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
  assert.deepEqual(Object.keys(record).sort(), [...HOSTILE_NAMES].sort());
  HOSTILE_NAMES.forEach((name, i) => assert.equal(Object.getOwnPropertyDescriptor(record, name)?.value, `v${i}`, name));
});

it('a header of thousands of columns, and a Node that may not generate code, read the same', async () => {
  const wide = Array.from({ length: 3000 }, (_, i) => `c${i}`);
  const [item] = items([`${wide.join(',')}\n${wide.map((_, i) => i).join(',')}\n`]) as {
    record: Record<string, string>;
  }[];
  assert.equal(item?.record.c2999, '2999');
  assert.equal(Object.keys(item?.record ?? {}).length, 3000);

  const { spawnSync } = await import('node:child_process');
  const script = `import { CsvRows } from ${JSON.stringify(new URL('../../../src/sources/files/csv-rows.ts', import.meta.url).href)};
const rows = new CsvRows('t.csv', { delimiter: ',', maxRecordBytes: 1 << 20, onHeader: undefined });
const [item] = rows.push(${JSON.stringify(`${HOSTILE_NAMES.map(csvField).join(',')}\n${HOSTILE_NAMES.map((_, i) => `v${i}`).join(',')}\n`)});
console.log(JSON.stringify([Object.getPrototypeOf(item.record) === Object.prototype, Object.entries(item.record)]));`;
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  const [plain, entries] = JSON.parse(run.stdout) as [boolean, [string, string][]];
  assert.ok(plain);
  assert.deepEqual(new Map(entries), new Map(HOSTILE_NAMES.map((name, i) => [name, `v${i}`])));
});
