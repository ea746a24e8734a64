import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ConfigError, PermanentError } from 'ferry';
import { readCsv, readFile, readJsonArray, readNdjson, type ReadOptions } from 'ferry/files';
import { openStream } from '../../../src/sources/files/open-stream.ts';
import { collect, records, tempFiles } from './temp-files.ts';

const files = await tempFiles();
/** What fs hands the reader at a time: a character may straddle this. */
const READ_CHUNK = 64 * 1024;

/** The bytes a file gives through openStream, joined. */
async function bytesOf(file: string, options?: ReadOptions): Promise<Buffer> {
  return Buffer.concat(await collect(await openStream(file, options)));
}

const notUtf8 = (message: RegExp) => (error: unknown) =>
  error instanceof PermanentError && error.code === 'FILE_NOT_UTF8' && message.test(error.message);

/** Text as an older Windows program saves it (only the characters these tests use). */
function windows1252(text: string): Buffer {
  const high: Record<string, number> = { '€': 0x80, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96 };
  return Buffer.from([...text].map((c) => high[c] ?? c.charCodeAt(0)));
}
const utf16le = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le');
const utf16be = (text: string) => utf16le(text).swap16();

describe('UTF-8 (the default) is checked, never replaced', () => {
  it('a Latin-1 byte fails the read, naming the line, the offset, the bytes and the fix', async () => {
    const file = await files.write(
      'latin1.csv',
      Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from(' noir\n')]),
    );
    await assert.rejects(collect(readFile(file)), (error) => {
      assert.ok(error instanceof PermanentError);
      assert.equal(error.code, 'FILE_NOT_UTF8');
      assert.equal(
        error.message,
        `${file}, line 3: not UTF-8 at byte offset 18: bytes e9 20 6e 6f after "2,caf"; if the file was saved by an older Windows program, pass --encoding windows-1252 (or latin1); by Excel for Mac as CSV (Macintosh), pass --encoding macintosh`,
      );
      return true;
    });
  });

  const bad = Buffer.from([0xe9]); // é in Latin-1 and windows-1252
  const formats: [name: string, content: Buffer, line: number][] = [
    ['bad.tsv', Buffer.concat([Buffer.from('id\tname\n1\tok\n2\tcaf'), bad, Buffer.from('\n')]), 3],
    ['bad.ndjson', Buffer.concat([Buffer.from('{"a":"ok"}\r\n{"a":"caf'), bad, Buffer.from('"}\r\n')]), 2],
    ['bad.json', Buffer.concat([Buffer.from('[\n{"a":"ok"},\n{"a":"caf'), bad, Buffer.from('"}\n]')]), 3],
  ];
  for (const [name, content, line] of formats) {
    it(`in ${name}, and gzipped`, async () => {
      await assert.rejects(
        collect(readFile(await files.write(name, content))),
        notUtf8(new RegExp(`, line ${line}: not UTF-8 at byte offset \\d+: bytes? e9\\b.* after ".*caf";`)),
      );
      const gz = await files.write(`${name}.gz`, gzipSync(content));
      await assert.rejects(
        collect(readFile(gz)),
        notUtf8(new RegExp(`, line ${line}: not UTF-8 at byte offset \\d+ of the unzipped text: bytes? e9\\b`)),
      );
    });
  }

  it('each reader checks', async () => {
    await assert.rejects(
      collect(readCsv(await files.write('r.csv', Buffer.concat([Buffer.from('a\nok\n'), bad, Buffer.from('\n')])))),
      notUtf8(/line 3/),
    );
    await assert.rejects(
      collect(readNdjson(await files.write('r.ndjson', Buffer.concat([Buffer.from('1\n"'), bad, Buffer.from('"\n')])))),
      notUtf8(/line 2/),
    );
    await assert.rejects(
      collect(readJsonArray(await files.write('r.json', Buffer.concat([Buffer.from('["'), bad, Buffer.from('"]')])))),
      notUtf8(/line 1/),
    );
  });

  // Each of these becomes U+FFFD in Buffer.toString and a lenient TextDecoder.
  const malformed: [name: string, bytes: number[], hex: string][] = [
    ['a lone continuation byte', [0x61, 0x80, 0x62], '80 62'],
    ['an overlong form', [0x61, 0xc0, 0x80], 'c0 80'],
    ['an encoded surrogate', [0x61, 0xed, 0xa0, 0x80], 'ed a0 80'],
    ['a code point past U+10FFFF', [0x61, 0xf4, 0x90, 0x80, 0x80], 'f4 90 80 80'],
    ['a character cut off by the end of the file', [0x61, 0xe2, 0x82], 'e2 82'],
  ];
  for (const [name, bytes, hex] of malformed) {
    it(name, async () => {
      const file = await files.write(`${name.replaceAll(/\W+/g, '-')}.txt`, Buffer.from(bytes));
      await assert.rejects(
        bytesOf(file),
        notUtf8(new RegExp(`line 1: not UTF-8 at byte offset 1: bytes? ${hex} after "a";`)),
      );
    });
  }

  it('passes good bytes on untouched, a byte-order mark included', async () => {
    const content = Buffer.from('\uFEFFid,name\r\n1,Zoë 東京 🙂\r\n');
    assert.deepEqual(await bytesOf(await files.write('good.csv', content)), content);
  });

  it('a character split across a read boundary is no error, whatever its length and wherever it splits', async () => {
    for (const char of ['é', '€', '🙂']) {
      for (let before = 1; before < Buffer.byteLength(char); before++) {
        const content = Buffer.from(`${'x'.repeat(READ_CHUNK - before)}${char}\n${'y'.repeat(READ_CHUNK)}${char}`);
        const file = await files.write(`split-${before}.txt`, content);
        assert.deepEqual(await bytesOf(file), content, `${char} with ${before} byte(s) in the first read`);
        assert.deepEqual(await bytesOf(await files.write(`split-${before}.txt.gz`, gzipSync(content))), content);
      }
    }
    const csv = await files.write('split.csv', `id,text\n1,${'x'.repeat(READ_CHUNK - 11)}🙂\n2,é\n`);
    assert.deepEqual(
      (await records(readCsv(csv))).map((r) => [...(r.text ?? '')].slice(-2).join('')),
      ['x🙂', 'é'],
    );
  });

  it('a bad byte that ends one read is named where it is', async () => {
    const count = Math.floor(READ_CHUNK / 3); // 'ab\n' lines fill all but the last byte of the first read
    const file = await files.write(
      'edge.csv',
      Buffer.concat([Buffer.from('ab\n'.repeat(count)), bad, Buffer.from('\n')]),
    );
    await assert.rejects(
      bytesOf(file),
      notUtf8(new RegExp(`line ${count + 1}: not UTF-8 at byte offset ${READ_CHUNK - 1}: byte e9;`)),
    );
  });
});

describe('the encoding option', () => {
  const text = 'id,name\n1,Café “Noël” – 5 €\n2,Straße ‘x’\n';
  const decoded = [
    { id: '1', name: 'Café “Noël” – 5 €' },
    { id: '2', name: 'Straße ‘x’' },
  ];

  for (const encoding of ['latin1', 'windows-1252'] as const) {
    it(`${encoding} reads an older Windows program's files exactly, in every format`, async () => {
      assert.deepEqual(
        await records(readFile(await files.write(`cp-${encoding}.csv`, windows1252(text)), { encoding })),
        decoded,
      );
      assert.deepEqual(
        await records(readFile(await files.write(`cp-${encoding}.csv.gz`, gzipSync(windows1252(text))), { encoding })),
        decoded,
      );
      const ndjson = decoded.map((r) => JSON.stringify(r)).join('\n');
      assert.deepEqual(
        await records(readNdjson(await files.write(`cp-${encoding}.ndjson`, windows1252(ndjson)), { encoding })),
        decoded,
      );
      assert.deepEqual(
        await records(
          readJsonArray(await files.write(`cp-${encoding}.json`, windows1252(JSON.stringify(decoded))), { encoding }),
        ),
        decoded,
      );
    });
  }

  it('latin1 and windows-1252 decode every byte, the five windows-1252 leaves undefined as C1 controls', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const expected = new TextDecoder('windows-1252').decode(all);
    for (const encoding of ['latin1', 'windows-1252'] as const) {
      assert.equal(
        (await bytesOf(await files.write(`all-${encoding}.bin`, all), { encoding })).toString('utf8'),
        expected,
      );
    }
    assert.equal(expected[0x80], '€');
    assert.equal(expected[0x81], '\u0081');
  });

  const utf16: [encoding: 'utf-16le' | 'utf-16be', encode: (text: string) => Buffer][] = [
    ['utf-16le', utf16le],
    ['utf-16be', utf16be],
  ];
  for (const [encoding, encode] of utf16) {
    it(`${encoding}: its byte-order mark selects it; given, it reads with or without the mark; lines stay right`, async () => {
      const csv = 'id,name\r\n1,Zoë 東京 🙂\r\n2,"two\r\nlines"\r\n3,x,ragged\r\n4,€\r\n';
      const file = await files.write(`${encoding}.csv`, encode(csv));
      const items = await collect(readFile(file));
      assert.deepEqual(
        items.map((item) => [item.ok ? item.record : item.raw, item.position.line]),
        [
          [{ id: '1', name: 'Zoë 東京 🙂' }, 2],
          [{ id: '2', name: 'two\r\nlines' }, 3],
          ['3,x,ragged', 5],
          [{ id: '4', name: '€' }, 6],
        ],
      );
      assert.deepEqual(await collect(readFile(file, { encoding })), items);
      const unmarked = await files.write(`${encoding}-no-bom.ndjson`, encode('{"a":"Zoë"}\n{"a":"🙂"}').subarray(2));
      assert.deepEqual(await records(readFile(unmarked, { encoding })), [{ a: 'Zoë' }, { a: '🙂' }]);
      const gz = await files.write(`${encoding}.json.gz`, gzipSync(encode('[{"a":"東京"}]')));
      assert.deepEqual(await records(readFile(gz)), [{ a: '東京' }]);
    });
  }

  it('UTF-16 larger than a read, with characters split between reads', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},Zoë 東京 🙂 ${i}`);
    const file = await files.write('big16.csv', utf16be(`id,text\n${rows.join('\n')}\n`));
    const items = await records(readFile(file));
    assert.equal(items.length, 5000);
    assert.deepEqual(items.at(-1), { id: '4999', text: 'Zoë 東京 🙂 4999' });
  });

  it('a file whose byte-order mark says another encoding than the one given fails', async () => {
    const cases: [content: Buffer, encoding: NonNullable<ReadOptions['encoding']>, marked: string][] = [
      [Buffer.from('\uFEFFid\n1\n'), 'latin1', 'utf-8'],
      [utf16be('id\n1\n'), 'utf-16le', 'utf-16be'],
      [utf16le('id\n1\n'), 'utf-8', 'utf-16le'],
    ];
    for (const [content, encoding, marked] of cases) {
      const file = await files.write('marked.csv', content);
      await assert.rejects(
        collect(readFile(file, { encoding })),
        (error) =>
          error instanceof PermanentError &&
          error.code === 'FILE_ENCODING_MISMATCH' &&
          error.message ===
            `${file} starts with the byte-order mark of ${marked}, yet is read as ${encoding}: pass --encoding ${marked}, or leave --encoding out`,
      );
    }
  });

  it('UTF-16 with an unpaired surrogate fails', async () => {
    const file = await files.write('lone.csv', Buffer.concat([utf16le('id\n'), Buffer.from([0x00, 0xd8, 0x0a, 0x00])]));
    await assert.rejects(
      collect(readFile(file)),
      (error) =>
        error instanceof PermanentError &&
        error.code === 'FILE_ENCODING_INVALID' &&
        /not valid UTF-16LE/.test(error.message),
    );
  });

  it('an unknown name is a ConfigError at the call, before the file is opened', async () => {
    const encoding = 'utf8' as NonNullable<ReadOptions['encoding']>;
    const message = /unknown encoding "utf8": use utf-8, utf-16le, utf-16be, latin1, windows-1252/;
    assert.throws(() => readFile('missing.csv', { encoding }), message);
    for (const read of [readCsv, readNdjson, readJsonArray])
      assert.throws(
        () => read('missing', { encoding }),
        (error) => error instanceof ConfigError && message.test(error.message),
      );
    await assert.rejects(openStream('missing', { encoding }), ConfigError);
  });
});
