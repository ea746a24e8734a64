import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MISFIT, toColumnValue } from '../../src/schema/column-values.ts';
import { TypeInference } from '../../src/schema/infer-types.ts';
import { parseTypeOverrides } from '../../src/schema/type-overrides.ts';
import type { ColumnType } from '../../src/stores/tables.ts';
import { parseJson } from '../../src/values/exact-json.ts';

/** The type one column gets from these values, as a file's only column. */
function typeOf(values: unknown[]): ColumnType | 'none' {
  const inference = new TypeInference();
  for (const v of values) inference.observe({ c: v });
  return inference.types().c ?? 'none';
}

describe('type inference: the narrowest type every value fits', () => {
  const cases: [values: unknown[], expected: ColumnType | 'none'][] = [
    [['1', '-42', '0', '9223372036854775807', '-9223372036854775808'], 'integer'],
    [['9223372036854775808'], 'text'], // one past 64 bits
    [['-9223372036854775809'], 'text'],
    [['123456789012345678901234'], 'text'],
    [['00501', '10001'], 'text'], // a leading zero: a code
    [['+1'], 'text'],
    [['-0'], 'text'],
    [['1', '2.5', '-0.001', '100.50'], 'numeric'],
    [['0.5', '.5'], 'text'],
    [['5.'], 'text'],
    [['1e5'], 'text'],
    [['1,5'], 'text'],
    [['123456789012345.6'], 'text'], // 16 significant digits: a double would round it
    [['12345678901234.5'], 'numeric'], // 15
    [['0.000000000000000000001'], 'numeric'],
    [['1234567890123456', '1.5'], 'text'], // a long integer among decimals: a REAL would round it
    [['1234567890123456', '1'], 'integer'],
    [['true', 'false', 'TRUE', 'False'], 'boolean'],
    [['true', 'yes'], 'text'],
    [['1', 'true'], 'text'],
    [['2024-02-29', '1999-12-31', '0001-01-01'], 'date'],
    [['2023-02-29'], 'text'], // no such day
    [['2024-13-01'], 'text'],
    [['0000-01-01'], 'text'],
    [['2024-1-5'], 'text'],
    [['01/02/2024'], 'text'],
    [['2024-02-29T13:45:30', '2024-02-29 13:45', '2024-02-29T13:45:30.123456'], 'timestamp'],
    [['2024-02-29', '2024-02-29T13:45:30'], 'timestamp'],
    [['2024-02-29T13:45:30.1234567'], 'text'], // past microseconds
    [['2024-02-29T24:00:00'], 'text'],
    [['2024-02-29T13:45:60'], 'text'],
    [
      ['2024-02-29T13:45:30Z', '2024-02-29T13:45:30+02:00', '2024-02-29 13:45-0530', '2024-02-29T13:45+01'],
      'timestamptz',
    ],
    [['2024-02-29T13:45:30Z', '2024-02-29T13:45:30'], 'text'], // with and without a zone
    [['2024-02-29', '2024-02-29T13:45:30Z'], 'text'],
    [['2024-02-29T13:45:30z'], 'text'],
    [['', '1', null, undefined], 'integer'], // empty values fit anything
    [['', ''], 'text'], // nothing to go by
    [['1', 'x'], 'text'],
    // Values a JSON file or a workbook already typed
    [[1, 2, -3], 'integer'],
    [[1, 2.5], 'numeric'],
    [[true, false], 'boolean'],
    [[{ a: 1 }], 'text'],
    [[[1, 2]], 'text'],
    [[parseJson('12345678901234567890')], 'text'], // past 64 bits
    [[parseJson('1234567890123456789')], 'integer'],
  ];
  for (const [values, expected] of cases) {
    it(`${JSON.stringify(values.map((v) => (v === undefined ? null : v)))} → ${expected}`, () => {
      assert.equal(typeOf(values), expected);
    });
  }

  it('keeps the columns in the order they first appear, one with no value as text', () => {
    const inference = new TypeInference();
    inference.observe({ b: '', a: '1' });
    inference.observe({ c: 'true', a: '2' });
    assert.deepEqual(inference.types(), { b: 'text', a: 'integer', c: 'boolean' });
    assert.deepEqual(inference.types({ valuedOnly: true }), { a: 'integer', c: 'boolean' });
  });

  it('infers only the columns it is given, and is settled once every one of them is text', () => {
    const inference = new TypeInference(['a', 'b']);
    inference.observe({ a: 'x', b: '1', c: '2' });
    assert.deepEqual(inference.types(), { a: 'text', b: 'integer' });
    assert.equal(inference.settled(), false);
    inference.observe({ a: '1', b: 'y', c: '3' });
    assert.equal(inference.settled(), true, 'no later value can change a text column');
    assert.deepEqual(inference.types(), { a: 'text', b: 'text' });
  });
});

describe('a value against its column type: converted exactly, or MISFIT', () => {
  const cases: [value: unknown, type: ColumnType, expected: unknown][] = [
    ['42', 'integer', 42],
    ['9223372036854775807', 'integer', 9223372036854775807n],
    ['00501', 'integer', MISFIT],
    ['4.5', 'integer', MISFIT],
    ['', 'integer', null],
    ['12.50', 'numeric', '12.50'], // as written: PostgreSQL keeps it, SQLite reads the number
    ['abc', 'numeric', MISFIT],
    ['True', 'boolean', true],
    ['FALSE', 'boolean', false],
    ['1', 'boolean', MISFIT],
    ['2024-02-29', 'date', '2024-02-29'],
    ['2024-02-30', 'date', MISFIT],
    ['2024-02-29', 'timestamp', '2024-02-29'],
    ['2024-02-29T10:00:00Z', 'timestamp', MISFIT],
    ['2024-02-29T10:00:00Z', 'timestamptz', '2024-02-29T10:00:00Z'],
    ['', 'text', ''],
    ['00501', 'text', '00501'],
    [12, 'text', '12'],
    [{ a: 1 }, 'text', '{"a":1}'],
    [null, 'text', null],
  ];
  for (const [value, type, expected] of cases) {
    it(`${JSON.stringify(value)} as ${type} → ${typeof expected === 'symbol' ? 'MISFIT' : String(expected)}`, () => {
      assert.equal(toColumnValue(value, type), expected);
    });
  }
});

describe('--types', () => {
  it('reads col=type entries and *=type for the others', () => {
    const overrides = parseTypeOverrides(['zip=text', 'a=b=integer', '*=text']);
    assert.deepEqual(
      [...overrides.columns],
      [
        ['zip', 'text'],
        ['a=b', 'integer'],
      ],
    );
    assert.equal(overrides.others, 'text');
  });

  for (const bad of ['zip', '=text', 'zip=varchar', 'zip=json']) {
    it(`refuses ${JSON.stringify(bad)} as a config error naming the form`, () => {
      assert.throws(() => parseTypeOverrides([bad]), {
        code: 'CONFIG_INVALID',
        message: new RegExp(
          `^--types "${bad}": write column=type, the type one of text, integer, numeric, real, boolean, date, timestamp, timestamptz`,
        ),
      });
    });
  }
});
