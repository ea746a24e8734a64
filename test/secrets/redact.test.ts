import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redactor } from '../../src/secrets/redact.ts';
import { parseJson } from '../../src/values/exact-json.ts';

it('redacts secrets in nested values, errors and their causes', () => {
  const r = new Redactor(['s3cr3t']);
  const error = new Error('bad key s3cr3t', { cause: new Error('upstream said s3cr3t') });
  const out = r.value({ a: ['x s3cr3t y'], e: error, n: 3 }) as {
    a: string[];
    e: { message: string; stack: string; cause: { message: string } };
    n: number;
  };
  assert.deepEqual(out.a, ['x [redacted] y']);
  assert.equal(out.e.message, 'bad key [redacted]');
  assert.ok(!out.e.stack.includes('s3cr3t'));
  assert.equal(out.e.cause.message, 'upstream said [redacted]');
  assert.equal(out.n, 3);
});

it('redacts URL credentials of any URL, and the URL-encoded form of a secret', () => {
  const r = new Redactor(['p@ss word']);
  assert.equal(
    r.string('postgres://me:x@db.test/app and https://tok@h.test'),
    'postgres://[redacted]@db.test/app and https://[redacted]@h.test',
  );
  assert.equal(r.string('q=p%40ss%20word'), 'q=[redacted]');
  assert.equal(r.string('mail me@host.test'), 'mail me@host.test');
});

it('a short secret cannot break the JSON of a line: values are redacted before serialization', () => {
  const r = new Redactor(['type']);
  const line = JSON.stringify(r.value({ type: 'log', msg: 'the type is type' }));
  assert.deepEqual(JSON.parse(line), { type: 'log', msg: 'the [redacted] is [redacted]' });
});

describe('every common encoding of a secret is redacted', () => {
  const secret = String.raw`sk/é"x\y z&'<`;
  const encodings: [string, string][] = [
    ['as given', secret],
    ['encodeURIComponent', String.raw`sk%2F%C3%A9%22x%5Cy%20z%26'%3C`],
    ['percent-encoded, lower-case hex', String.raw`sk%2f%c3%a9%22x%5cy%20z%26'%3c`],
    ['form-encoded (+ for a space)', String.raw`sk%2F%C3%A9%22x%5Cy+z%26%27%3C`],
    ['JSON.stringify', String.raw`sk/é\"x\\y z&'<`],
    ['JSON with \\/ (PHP json_encode)', String.raw`sk\/\u00e9\"x\\y z&'<`],
    ['JSON with non-ASCII as \\u, upper-case hex', String.raw`sk/\u00E9\"x\\y z&'<`],
    ['JSON inside JSON', String.raw`sk/é\\\"x\\\\y z&'<`],
    ['PHP json_encode inside JSON', String.raw`sk\\/\\u00e9\\\"x\\\\y z&'<`],
    ['HTML, &quot; and &#39;', String.raw`sk/é&quot;x\y z&amp;&#39;&lt;`],
    ['HTML, &#x27;', String.raw`sk/é&quot;x\y z&amp;&#x27;&lt;`],
    ['base64', 'c2svw6kieFx5IHomJzw='],
    ['base64 without padding, base64url', 'c2svw6kieFx5IHomJzw'],
  ];
  const r = new Redactor([secret]);
  for (const [encoding, text] of encodings) {
    it(encoding, () => {
      assert.equal(r.string(`{"error":"bad key ${text}, try again"}`), '{"error":"bad key [redacted], try again"}');
    });
  }

  it('base64url differs from base64 where the secret has + or / in base64', () => {
    const key = 'ÿþý long key'; // base64 starts w7/Dvs: base64url w7_Dvs
    const url = Buffer.from(key).toString('base64url');
    assert.match(url, /_/);
    assert.equal(new Redactor([key]).string(`Basic ${url}`), 'Basic [redacted]');
  });
});

describe('a secret shorter than 8 characters is redacted only as a whole token', () => {
  const r = new Redactor(['x', 'pw1']);
  const cases: [string, string][] = [
    ['max index x-ray ex_x box', 'max index x-ray ex_x box'],
    ['key x', 'key [redacted]'],
    ['key x.', 'key [redacted].'],
    ['"x"', '"[redacted]"'],
    ['GET /items?api_key=x&page=2', 'GET /items?api_key=[redacted]&page=2'],
    ['Bearer x', 'Bearer [redacted]'],
    ['x:pw1@host', '[redacted]:[redacted]@host'],
    ['pw12 apw1 pw1', 'pw12 apw1 [redacted]'],
    [String.raw`{"k":"\"pw1\""}`, String.raw`{"k":"\"[redacted]\""}`],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => assert.equal(r.string(text), expected));
  }

  it('a longer one is redacted wherever it occurs, inside a word too', () => {
    assert.equal(new Redactor(['S3CR3T-key']).string('prefixS3CR3T-keysuffix'), 'prefix[redacted]suffix');
  });
});

it('a redacted value serializes as the original would: exact numbers and dates keep their JSON', () => {
  const value = {
    ...(parseJson('{"big":9007199254740993}') as object),
    at: new Date(Date.UTC(2026, 0, 1)),
    note: 'key s3cr3t-value',
  };
  assert.equal(
    JSON.stringify(new Redactor(['s3cr3t-value']).value(value)),
    '{"big":9007199254740993,"at":"2026-01-01T00:00:00.000Z","note":"key [redacted]"}',
  );
});

it('a record from a hostile file, nested 100,000 arrays deep, is copied without overflowing the stack', () => {
  const text = `${'['.repeat(100_000)}"s3cr3t-value"${']'.repeat(100_000)}`;
  const out = new Redactor(['s3cr3t-value']).value(JSON.parse(text));
  assert.equal(JSON.stringify(out), text.replace('s3cr3t-value', '[redacted]'));
});

it("a field named __proto__ stays the record's own field, in its place", () => {
  const record = JSON.parse('{"id":"","__proto__":{"admin":true},"v":"key s3cr3t-value"}') as object;
  const out = new Redactor(['s3cr3t-value']).value(record);
  assert.equal(JSON.stringify(out), '{"id":"","__proto__":{"admin":true},"v":"key [redacted]"}');
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

it('a value nested a million deep (a hostile API record) is copied without overflowing the stack', () => {
  let deep: unknown = 's3cr3t-value';
  for (let i = 0; i < 1_000_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
  const text = JSON.stringify(new Redactor(['s3cr3t-value']).value(deep));
  const expected = JSON.stringify(deep).replace('"s3cr3t-value"', '"[redacted]"');
  // Not assert.equal: its diff of two 3 MB lines would bury the failure.
  assert.ok(text === expected, `the copy differs, it starts ${text.slice(0, 20)}`);
});

it('keys keep their order, __proto__ included, and the second reference to an object is [circular]', () => {
  const shared = { n: 1 };
  const value = { ...(JSON.parse('{"z":1,"__proto__":{"x":"s3cr3t-value"},"a":[2]}') as object), p: shared, q: shared };
  assert.equal(
    JSON.stringify(new Redactor(['s3cr3t-value']).value(value)),
    '{"z":1,"__proto__":{"x":"[redacted]"},"a":[2],"p":{"n":1},"q":"[circular]"}',
  );
});
