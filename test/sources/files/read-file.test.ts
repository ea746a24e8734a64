import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CancelledError, ConfigError, PermanentError } from 'ferry';
import { formatFor, formatOf, readFile, type FileFormat } from 'ferry/files';
import { collect, records, tempFiles } from './temp-files.ts';

const files = await tempFiles();

describe('formatOf', () => {
  const cases: [file: string, format: FileFormat | undefined][] = [
    ['orders.csv', 'csv'],
    ['ORDERS.CSV', 'csv'],
    ['orders.csv.gz', 'csv'],
    ['dir.d/orders.tsv', 'tsv'],
    ['events.ndjson', 'ndjson'],
    ['events.jsonl.GZ', 'ndjson'],
    ['dump.json', 'json'],
    ['dump.json.gz', 'json'],
    ['dump.gz', undefined],
    ['notes.txt', undefined],
    ['csv', undefined],
  ];
  for (const [file, format] of cases) {
    it(`${file} → ${format}`, () => assert.equal(formatOf(file), format));
  }
});

describe('formatFor', () => {
  it("takes the format given, else the name's, else says which names need none", () => {
    assert.equal(formatFor('export.txt', 'tsv'), 'tsv');
    assert.equal(formatFor('orders.csv.gz'), 'csv');
    assert.throws(
      () => formatFor('export.txt'),
      (error) => error instanceof ConfigError && /pass --format .*\.jsonl/.test(error.message),
    );
  });

  it('a path named - (standard input to many tools) is told to pass /dev/stdin, for the format and the file', async () => {
    const dash = path.join(files.dir, '-');
    assert.throws(
      () => formatFor(dash),
      (error) => error instanceof ConfigError && /pass \/dev\/stdin/.test(error.message),
    );
    await assert.rejects(
      collect(readFile(dash, { format: 'csv' })),
      (error) =>
        error instanceof PermanentError && error.code === 'FILE_NOT_FOUND' && /pass \/dev\/stdin/.test(error.message),
    );
    assert.doesNotMatch(
      String(await collect(readFile(path.join(files.dir, 'a-'), { format: 'csv' })).catch((e) => e)),
      /stdin/,
    );
  });
});

describe('readFile picks the reader and unzips by the file name', () => {
  const people = [
    { name: 'Zoë', city: '東京' },
    { name: 'Ana', city: 'São Paulo 🚀' },
  ];
  const csv = 'name,city\r\nZoë,東京\r\nAna,"São Paulo 🚀"\r\n';
  const contents: [file: string, content: string][] = [
    ['people.csv', csv],
    ['people.tsv', 'name\tcity\nZoë\t東京\nAna\tSão Paulo 🚀\n'],
    ['people.ndjson', people.map((p) => JSON.stringify(p)).join('\n')],
    ['people.jsonl', people.map((p) => JSON.stringify(p)).join('\r\n')],
    ['people.json', JSON.stringify(people)],
  ];
  for (const [name, content] of contents) {
    it(name, async () => {
      assert.deepEqual(await records(readFile(await files.write(name, content))), people);
    });
    it(`${name}.gz`, async () => {
      assert.deepEqual(await records(readFile(await files.write(`${name}.gz`, gzipSync(content)))), people);
    });
  }

  it('a format and a delimiter override the name', async () => {
    const file = await files.write('export.txt', 'name|city\nZoë|東京\n');
    assert.deepEqual(await records(readFile(file, { format: 'csv', delimiter: '|' })), [{ name: 'Zoë', city: '東京' }]);
  });

  it('a JSON path reaches into the object', async () => {
    const file = await files.write('page.json.gz', gzipSync(JSON.stringify({ data: { items: people } })));
    assert.deepEqual(await records(readFile(file, { jsonPath: 'data.items' })), people);
  });

  it('positions name the file as given', async () => {
    const file = await files.write('where.csv.gz', gzipSync(csv));
    const items = await collect(readFile(file));
    assert.deepEqual(
      items.map((item) => item.position),
      [
        { source: file, row: 1, line: 2 },
        { source: file, row: 2, line: 3 },
      ],
    );
  });
});

describe('readFile refuses', () => {
  it('a name with no known format, saying to pass --format', () => {
    assert.throws(
      () => readFile('dump.gz'),
      (error) => error instanceof ConfigError && /pass --format csv, tsv, ndjson, json or xlsx/.test(error.message),
    );
  });

  it('options that do not fit the format', () => {
    assert.throws(() => readFile('a.csv', { jsonPath: 'data' }), ConfigError);
    assert.throws(() => readFile('a.json', { delimiter: ';' }), ConfigError);
    assert.throws(() => readFile('a.csv', { format: 'xml' as FileFormat }), ConfigError);
  });

  const unreadable: [name: string, setup: () => Promise<string>, code: string, message: RegExp][] = [
    [
      'a missing file',
      async () => path.join(files.dir, 'missing.csv'),
      'FILE_NOT_FOUND',
      /missing\.csv does not exist/,
    ],
    ['a directory', async () => files.dir, 'FILE_UNREADABLE', /is a directory/],
    [
      'a .gz that is not gzip',
      () => files.write('plain.csv.gz', 'a,b\n1,2\n'),
      'FILE_UNREADABLE',
      /is not a readable gzip file/,
    ],
    [
      'a truncated .gz',
      () => files.write('cut.ndjson.gz', gzipSync('{"a":1}\n'.repeat(1000)).subarray(0, 40)),
      'FILE_UNREADABLE',
      /is not a readable gzip file/,
    ],
    [
      'a truncated JSON array in a .gz',
      () => files.write('cut.json.gz', gzipSync('[{"a":1},{"a":')),
      'JSON_INVALID',
      /cut\.json\.gz: not valid JSON after element 1/,
    ],
  ];
  for (const [name, setup, code, message] of unreadable) {
    it(name, async () => {
      const file = await setup();
      const format = file === files.dir ? { format: 'csv' as const } : {};
      await assert.rejects(
        collect(readFile(file, format)),
        (error) => error instanceof PermanentError && error.code === code && message.test(error.message),
      );
    });
  }
});

describe('every reader stops when the signal aborts', () => {
  const contents: [file: string, content: string][] = [
    ['stop.csv', `n\n${'1\n'.repeat(10_000)}`],
    ['stop.ndjson', '1\n'.repeat(10_000)],
    ['stop.json', `[${Array(10_000).fill(1).join(',')}]`],
  ];
  for (const [name, content] of contents) {
    it(name, async () => {
      const file = await files.write(name, content);
      const controller = new AbortController();
      let seen = 0;
      await assert.rejects(async () => {
        for await (const _ of readFile(file, { signal: controller.signal })) if (++seen === 10) controller.abort();
      }, CancelledError);
      assert.equal(seen, 10);
      await assert.rejects(
        collect(readFile(file, { signal: controller.signal })),
        CancelledError,
        'an aborted signal stops it before the file is opened',
      );
    });
  }
});
