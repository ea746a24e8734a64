import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Redactor } from '../../src/secrets/redact.ts';

it('redacts secrets in nested values, errors and their causes', () => {
  const r = new Redactor(['s3cr3t']);
  const error = new Error('bad key s3cr3t', { cause: new Error('upstream said s3cr3t') });
  const out = r.value({ a: ['x s3cr3t y'], e: error, n: 3 }) as { a: string[]; e: { message: string; stack: string; cause: { message: string } }; n: number };
  assert.deepEqual(out.a, ['x [redacted] y']);
  assert.equal(out.e.message, 'bad key [redacted]');
  assert.ok(!out.e.stack.includes('s3cr3t'));
  assert.equal(out.e.cause.message, 'upstream said [redacted]');
  assert.equal(out.n, 3);
});

it('redacts URL credentials of any URL, and the URL-encoded form of a secret', () => {
  const r = new Redactor(['p@ss word']);
  assert.equal(r.string('postgres://me:x@db.test/app and https://tok@h.test'), 'postgres://[redacted]@db.test/app and https://[redacted]@h.test');
  assert.equal(r.string('q=p%40ss%20word'), 'q=[redacted]');
  assert.equal(r.string('mail me@host.test'), 'mail me@host.test');
});

it('a short secret cannot break the JSON of a line: values are redacted before serialization', () => {
  const r = new Redactor(['type']);
  const line = JSON.stringify(r.value({ type: 'log', msg: 'the type is type' }));
  assert.deepEqual(JSON.parse(line), { type: 'log', msg: 'the [redacted] is [redacted]' });
});
