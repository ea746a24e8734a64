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

it('a single string part hashes its JSON.stringify text, whatever characters it holds', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
  const strings = ['', 'plain', 'say "hi"', 'back\\slash', 'tab\there', 'nul\0', '\u001f', '\u007f', 'é€😀'];
  strings.push('\ud800 alone', 'low \udc00 alone', 'emoji cut \ud83d', '\u2028\u2029', "'single'", '</script>');
  for (const s of strings) assert.equal(id(s), sha(JSON.stringify([s])), JSON.stringify(s));
});
