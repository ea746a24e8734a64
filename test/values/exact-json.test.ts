import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactNumber, isExactNumber, jsonText, parseJson } from '../../src/values/exact-json.ts';

describe('parseJson keeps every number exactly as written', () => {
  const cases: [string, string][] = [
    ['9007199254740993', '9007199254740993'],
    ['12345678901234567890123', '12345678901234567890123'],
    ['-9223372036854775809', '-9223372036854775809'],
    ['0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827'],
    ['1e400', '1e400'],
    ['1234567890.12345678', '1234567890.12345678'],
    // a double holds these, but JavaScript writes them 1e+29 and -1e+21: the digits would be lost
    ['100000000000000000000000000000', '100000000000000000000000000000'],
    ['-1000000000000000000000', '-1000000000000000000000'],
  ];
  for (const [text, kept] of cases) {
    it(`${text} comes back as an exact number that JSON.stringify writes as it came`, () => {
      const parsed = parseJson(`{"n":${text},"list":[${text}]}`) as { n: unknown; list: unknown[] };
      assert.ok(isExactNumber(parsed.n));
      assert.equal(JSON.stringify(parsed), `{"n":${kept},"list":[${kept}]}`);
      assert.equal(jsonText(parsed.n), kept);
    });
  }

  it('numbers a double holds exactly stay plain numbers, however they are written', () => {
    const parsed = parseJson(
      '[9007199254740992, 1.50, 1e3, 0.1, -0, 123456789012345, 12345678.12345678, 1e-7, 100000000000000000000]',
    ) as unknown[];
    assert.deepEqual(parsed, [9007199254740992, 1.5, 1000, 0.1, -0, 123456789012345, 12345678.12345678, 1e-7, 1e20]);
    assert.ok(parsed.every((n) => typeof n === 'number'));
  });

  it('a long number is found wherever it stands in a long line, next to short ones', () => {
    for (const text of ['9007199254740993', '0.10000000000000001', '1234567890.12345678', '2e-400']) {
      for (let offset = 0; offset < 40; offset++) {
        const line = `{"a":[12345678,"${'x'.repeat(offset)}",${text},7]}`;
        const parsed = parseJson(line) as { a: unknown[] };
        assert.ok(isExactNumber(parsed.a[2]), `${text} at offset ${offset}`);
        assert.equal(jsonText(parsed.a[2]), text);
        const after = parseJson(`[${'1'.repeat(1 + (offset % 15))},${text}]`) as unknown[];
        assert.ok(isExactNumber(after[1]), `${text} right after a number of ${1 + (offset % 15)} digits`);
      }
    }
  });

  it('two ids one apart beyond 2^53 stay two ids', () => {
    const [a, b] = parseJson('[9007199254740993, 9007199254740992]') as unknown[];
    assert.notEqual(jsonText(a), jsonText(b));
  });

  it('strings with long digit runs are untouched', () => {
    assert.deepEqual(parseJson('{"phone":"12345678901234567890","n":1}'), { phone: '12345678901234567890', n: 1 });
  });

  it('exactNumber: a plain number when exact, else the text', () => {
    assert.equal(exactNumber('42'), 42);
    assert.equal(exactNumber('4.20e1'), 42);
    assert.equal((exactNumber('18446744073709551616') as { rawJSON: string }).rawJSON, '18446744073709551616');
  });
});

describe('an exact number in a table', () => {
  it('an integer column takes it as a 64-bit integer, a text column as written; past 64 bits an integer column refuses it', async () => {
    const { toSql } = await import('../../src/stores/tables.ts');
    const [fits, huge] = parseJson('[9223372036854775807, 12345678901234567890123]') as unknown[];
    assert.equal(toSql(fits, 'integer'), 9223372036854775807n);
    assert.equal(toSql(huge, 'text'), '12345678901234567890123');
    assert.equal(toSql(huge, 'json'), '12345678901234567890123');
    assert.throws(() => toSql(huge, 'integer'), { code: 'VALUE_OUT_OF_RANGE' });
  });
});
