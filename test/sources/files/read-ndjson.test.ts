import assert from 'node:assert/strict';
import { it } from 'node:test';
import { readNdjson } from 'ferry/files';
import { collect, records, tempFiles } from './temp-files.ts';

const files = await tempFiles();

it('yields one value per line, skips blank lines, and goes on past a bad line', async () => {
  const file = await files.write(
    'events.ndjson',
    '{"id":1,"name":"Zoë"}\n\n   \n{"id":2,"city":"東京 🚀"}\n{"id":3,\n[1,2]\n"text"\n',
  );
  assert.deepEqual(await collect(readNdjson(file)), [
    { ok: true, record: { id: 1, name: 'Zoë' }, position: { source: file, row: 1, line: 1 } },
    { ok: true, record: { id: 2, city: '東京 🚀' }, position: { source: file, row: 2, line: 4 } },
    {
      ok: false,
      raw: '{"id":3,',
      reason: `line 5 is not valid JSON: ${jsonParseMessage('{"id":3,')}`,
      position: { source: file, row: 3, line: 5 },
    },
    { ok: true, record: [1, 2], position: { source: file, row: 4, line: 6 } },
    { ok: true, record: 'text', position: { source: file, row: 5, line: 7 } },
  ]);
});

it('tolerates CRLF endings, a BOM and no final line ending', async () => {
  const file = await files.write('crlf.jsonl', '\uFEFF{"a":1}\r\n\r\n{"a":2}');
  assert.deepEqual(await collect(readNdjson(file)), [
    { ok: true, record: { a: 1 }, position: { source: file, row: 1, line: 1 } },
    { ok: true, record: { a: 2 }, position: { source: file, row: 2, line: 3 } },
  ]);
});

it('splits at LF only: a lone CR is whitespace inside a line', async () => {
  const file = await files.write('cr.ndjson', '{"a":\r1}\n{"b":2}\n');
  assert.deepEqual(await records(readNdjson(file)), [{ a: 1 }, { b: 2 }]);
});

it('lines and multibyte text survive chunk boundaries', async () => {
  const values = Array.from({ length: 20_000 }, (_, i) => ({ i, text: `Zoë 東京 🚀 ${i}` }));
  const file = await files.write('chunks.ndjson', values.map((v) => JSON.stringify(v)).join('\r\n'));
  const items = await collect(readNdjson(file));
  assert.deepEqual(
    items.map((item) => item.ok && item.record),
    values,
  );
  assert.deepEqual(items.at(-1)?.position, { source: file, row: 20_000, line: 20_000 });
});

it('a line over the limit is a reject, not held in memory, and the stream goes on', async () => {
  const long = JSON.stringify({ blob: 'x'.repeat(200_000) }); // spans several reads
  const file = await files.write('long.ndjson', `{"a":1}\n${long}\n{"a":2}\n`);
  const items = await collect(readNdjson(file, { maxRecordBytes: 100_000 }));
  assert.deepEqual(
    items.map((item) => item.ok && item.record),
    [{ a: 1 }, false, { a: 2 }],
  );
  const reject = items[1];
  assert.ok(reject && !reject.ok);
  assert.equal(reject.reason, 'line 2 is longer than 97.7 KiB: is the file one JSON value per line?');
  assert.deepEqual(reject.position, { source: file, row: 2, line: 2 });
  assert.equal(reject.raw, `${long.slice(0, 1024)}…`);
});

it('keeps a "__proto__" key as a plain field', async () => {
  const file = await files.write('proto.ndjson', '{"__proto__":{"admin":true}}\n');
  const [item] = await collect(readNdjson(file));
  assert.ok(item?.ok);
  assert.deepEqual(Object.keys(item.record as object), ['__proto__']);
  assert.equal(Object.getPrototypeOf(item.record), Object.prototype);
});

function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parsed`);
}
