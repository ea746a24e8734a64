import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson } from '../../../src/values/exact-json.ts';
import { compareCursorValues, type CursorValue } from '../../../src/sources/http/index.ts';

describe('compareCursorValues orders numbers (and integer strings) by value and anything else as text', () => {
  const exact = (text: string) => parseJson(text) as CursorValue;
  const cases: [string, CursorValue, CursorValue, number][] = [
    ['ISO timestamps', '2026-01-02T00:00:00.000Z', '2026-01-10T00:00:00.000Z', -1],
    ['numbers, not their text', 9, 10, -1],
    ['decimals', 2.5, 2.25, 1],
    ['integers past 2^53, exactly', exact('9007199254740993'), exact('9007199254740992'), 1],
    ['an exact integer and a plain one', exact('12345678901234567890'), 7, 1],
    ['equal values', '2026-01-01', '2026-01-01', 0],
    ['integers sent as strings, by value', '9', '10', -1],
    ['integer strings past 2^53', '9007199254740993', '9007199254740992', 1],
    ['negative integer strings', '-10', '-9', -1],
    ['zero-padded codes stay text', '009', '010', -1],
    ['a code with a leading zero against an integer string: text', '09', '10', -1],
    ['a number string and a word: text', '10', 'a', -1],
  ];
  for (const [name, a, b, sign] of cases) {
    it(name, () => {
      assert.equal(Math.sign(compareCursorValues(a, b)), sign);
      assert.equal(Math.sign(compareCursorValues(b, a)), 0 - sign);
    });
  }
});
