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
