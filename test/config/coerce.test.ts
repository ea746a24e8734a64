import assert from 'node:assert/strict';
import { it } from 'node:test';
import { coerce } from '../../src/config/coerce.ts';
import type { OptionSpec } from '../../src/config/options.ts';

const d = { description: 'x' };
const cases: [OptionSpec, unknown, unknown][] = [
  [{ ...d, type: 'int' }, '42', 42],
  [{ ...d, type: 'int' }, '4.2', undefined],
  [{ ...d, type: 'int' }, '', undefined],
  [{ ...d, type: 'int', min: 1, max: 10 }, '11', undefined],
  [{ ...d, type: 'number' }, '-0.5', -0.5],
  [{ ...d, type: 'number' }, 'NaN', undefined],
  [{ ...d, type: 'boolean' }, 'YES', true],
  [{ ...d, type: 'boolean' }, '0', false],
  [{ ...d, type: 'boolean' }, 'maybe', undefined],
  [{ ...d, type: 'url' }, 'https://a.test/x?y=1', 'https://a.test/x?y=1'],
  [{ ...d, type: 'url' }, '/relative', undefined],
  [{ ...d, type: 'url', protocols: ['postgres', 'postgresql'] }, 'postgres://u@h/db', 'postgres://u@h/db'],
  [{ ...d, type: 'url' }, 'postgres://u@h/db', undefined],
  [{ ...d, type: 'path' }, 'a/b', '/base/a/b'],
  [{ ...d, type: 'enum', values: ['a', 'b'] }, 'b', 'b'],
  [{ ...d, type: 'enum', values: ['a', 'b'] }, 'c', undefined],
  [{ ...d, type: 'duration' }, '25h', 90_000_000],
  [{ ...d, type: 'duration' }, '500ms', 500],
  [{ ...d, type: 'duration' }, '1.5m', 90_000],
  [{ ...d, type: 'duration' }, '30', undefined],
  [{ ...d, type: 'duration' }, '3 fortnights', undefined],
  [{ ...d, type: 'duration' }, 1000, 1000],
  [{ ...d, type: 'duration' }, '1.5ms', 2], // whole milliseconds: timers and SQLite take no fraction
  [{ ...d, type: 'duration' }, '1000y', 31_557_600_000_000],
  [{ ...d, type: 'duration' }, '1001y', undefined], // past 1000 years no date the run works out exists
  [{ ...d, type: 'duration', max: '24d' }, '24d', 2_073_600_000],
  [{ ...d, type: 'duration', max: '24d' }, '25d', undefined],
  [{ ...d, type: 'duration', max: '24d' }, 2_073_600_001, undefined],
  [{ ...d, type: 'list' }, 'a, b,,c', ['a', 'b', 'c']],
  [{ ...d, type: 'list' }, ['a,b', 'c'], ['a', 'b', 'c']],
];
for (const [spec, raw, expected] of cases) {
  it(`${spec.type} ${JSON.stringify(raw)} → ${JSON.stringify(expected) ?? 'invalid'}`, () => {
    const result = coerce(spec, raw, '/base');
    assert.deepEqual(result.ok ? result.value : undefined, expected);
  });
}
