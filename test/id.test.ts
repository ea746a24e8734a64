import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { id } from 'ferry';

it('id() is the documented hash of its parts, stable and type-aware', () => {
  assert.equal(id('shop-1', 42), createHash('sha256').update('["shop-1",42]').digest('hex').slice(0, 32));
  assert.equal(id('shop-1', 42), id('shop-1', 42));
  assert.notEqual(id('shop-1', 42), id('shop-1', '42'));
  assert.notEqual(id('a', 'bc'), id('ab', 'c'));
  assert.match(id(1n, null, true), /^[0-9a-f]{32}$/);
});
