// Rejects keep their raw record as JSON text: a record nested deeper than JSON.stringify can recurse
// (Node 24) must still be written, and exactly as JSON.stringify writes what it can.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { stringify, stringifyByLoop } from '../../src/values/deep-json.ts';
import { parseJson } from '../../src/values/exact-json.ts';

const SAMPLES: unknown[] = [
  null,
  'a "quoted" \n line',
  42,
  -0.5,
  true,
  [],
  {},
  [1, [2, [3, {}]], { a: [] }],
  { z: 1, a: { b: [null, 'x', undefined, () => 1] }, u: undefined, f: () => 1, d: new Date(0) },
  JSON.parse('{"__proto__":{"x":1},"k":[1]}'),
  parseJson('{"id":12345678901234567890,"v":[1.50]}'),
  [Number.NaN, Number.POSITIVE_INFINITY],
];

it('writes every value as JSON.stringify does', () => {
  for (const value of SAMPLES)
    assert.equal(stringifyByLoop(value), JSON.stringify(value), String(JSON.stringify(value)));
});

it('writes a value nested 200,000 deep, which the loop reads back whole', () => {
  const text = `${'[{"a":'.repeat(100_000)}"deep"${'}]'.repeat(100_000)}`;
  const value = JSON.parse(text) as unknown;
  assert.ok(stringifyByLoop(value) === text, 'the loop writes the text back');
  assert.ok(stringify(value) === text, 'stringify writes it too, whichever way it can');
});

it('an undefined value is the JSON null, as the stores keep a missing raw record', () => {
  assert.equal(stringify(undefined), 'null');
});
