import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PermanentError } from 'ferry';
import { readJsonArray } from 'ferry/files';
import { collect, records, tempFiles } from './temp-files.ts';

const files = await tempFiles();

it('streams the elements of a top-level array, each with its 1-based row', async () => {
  const file = await files.write(
    'top.json',
    '[{"id":1,"tags":["a","b"]}, 2, "Zoë 東京 🚀", null, [true, false], {"nested":{"x":1.5e3}}]',
  );
  assert.deepEqual(await collect(readJsonArray(file)), [
    { ok: true, record: { id: 1, tags: ['a', 'b'] }, position: { source: file, row: 1 } },
    { ok: true, record: 2, position: { source: file, row: 2 } },
    { ok: true, record: 'Zoë 東京 🚀', position: { source: file, row: 3 } },
    { ok: true, record: null, position: { source: file, row: 4 } },
    { ok: true, record: [true, false], position: { source: file, row: 5 } },
    { ok: true, record: { nested: { x: 1500 } }, position: { source: file, row: 6 } },
  ]);
});

it('streams an array nested in an object, found by a dot path', async () => {
  const json = {
    meta: { count: 2, items: ['not these'] },
    data: { itemsOld: [0], items: [{ id: 1 }, { id: 2 }], next: null },
  };
  const file = await files.write('nested.json', JSON.stringify(json, null, 2));
  assert.deepEqual(await records(readJsonArray(file, { jsonPath: 'data.items' })), [{ id: 1 }, { id: 2 }]);
});

it('reads an empty array, a BOM and elements that span many reads', async () => {
  assert.deepEqual(await records(readJsonArray(await files.write('empty.json', ' [ ] '))), []);
  assert.deepEqual(await records(readJsonArray(await files.write('bom.json', '\uFEFF[1]'))), [1]);
  const many = Array.from({ length: 5000 }, (_, i) => ({ i, text: `Zoë 東京 🚀 ${'x'.repeat(i % 50)}` }));
  assert.deepEqual(await records(readJsonArray(await files.write('many.json', JSON.stringify(many)))), many);
});

it('keeps a "__proto__" key as a plain field', async () => {
  const file = await files.write('proto.json', '[{"__proto__":{"admin":true}}]');
  const [record] = await records(readJsonArray(file));
  assert.deepEqual(Object.keys(record as object), ['__proto__']);
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
});

it('a truncated array yields the whole elements, then throws JSON_INVALID naming the file and where', async () => {
  const file = await files.write('truncated.json', '[{"id":1},{"id":2},{"id":3,"na');
  const seen: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const item of readJsonArray(file)) seen.push(item.ok && item.record);
    },
    (error) =>
      error instanceof PermanentError &&
      error.code === 'JSON_INVALID' &&
      error.message.startsWith(`${file}: not valid JSON after element 2`),
  );
  assert.deepEqual(seen, [{ id: 1 }, { id: 2 }]);
});

it('refuses what is not an array where one should be', async () => {
  const cases: [name: string, json: string, jsonPath: string | undefined, code: string, message: RegExp][] = [
    [
      'an object at the top',
      '{"data":[1]}',
      undefined,
      'JSON_NOT_ARRAY',
      /the value at the top level is not an array but an object: give the dot path of the records array inside it as jsonPath \(file-import: --json-path\)/,
    ],
    [
      'a string at the path',
      '{"data":"x"}',
      'data',
      'JSON_NOT_ARRAY',
      /the value at data is not an array but a string/,
    ],
    ['a missing path', '{"data":{"rows":[1]}}', 'data.items', 'JSON_PATH_NOT_FOUND', /there is no value at data.items/],
    ['garbage', 'hello', undefined, 'JSON_INVALID', /not valid JSON before the first element/],
    [
      'NDJSON named .json',
      '{"id":1}\n{"id":2}\n',
      undefined,
      'JSON_INVALID',
      /not valid JSON before the first element .*; if it holds one JSON object per line, it is NDJSON: .*--format ndjson\)$/,
    ],
    ['an empty file', '', undefined, 'JSON_INVALID', /not valid JSON/],
  ];
  for (const [name, json, jsonPath, code, message] of cases) {
    const file = await files.write(`${name.replaceAll(' ', '-')}.json`, json);
    await assert.rejects(
      collect(readJsonArray(file, jsonPath === undefined ? {} : { jsonPath })),
      (error) => error instanceof PermanentError && error.code === code && message.test(error.message),
      name,
    );
  }
});
