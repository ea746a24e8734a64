// Statements a batch holds to send with its COPY or COMMIT carry their values as literals: every
// value must read back exactly as the same value bound as a parameter, whatever the session's
// standard_conforming_strings, and a value a literal cannot carry is never inlined.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { inlined } from '../../../src/stores/postgres/sql.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from './test-database.ts';

const TRICKY = [
  "it's",
  "''",
  'back\\slash',
  '\\',
  "\\'; DROP TABLE x; --",
  "E'\\x41'",
  'a ? b $1 $$ $tag$',
  'line\nbreak\r\ttab',
  'ünïcødé ✓ 😀 \u2028',
  '',
  '{"json": "with \\"quotes\\" and \\\\u0000"}',
];

describe('inlined statements', () => {
  it('writes each ? as a literal, in order, and leaves the rest of the text alone', () => {
    assert.equal(
      inlined('UPDATE t SET a = ?, b = ? WHERE id = ?', [1, null, "x'y"]),
      "UPDATE t SET a = E'1', b = NULL WHERE id = E'x''y'",
    );
    assert.equal(inlined('SELECT 1', []), 'SELECT 1');
  });

  it('refuses to inline a NUL (it would end the statement text) or a value that is not a scalar', () => {
    assert.equal(inlined('SELECT ?', ['a\0b']), undefined);
    assert.equal(inlined('SELECT ?', [{ a: 1 }]), undefined);
    assert.equal(inlined('SELECT ?', [new Uint8Array([1])]), undefined);
  });

  it('throws when the values do not match the parameters', () => {
    assert.throws(() => inlined('SELECT ?, ?', [1]), TypeError);
  });
});

if ((await postgresUnavailable()) === undefined)
  describe('inlined statements on the server', () => {
    let client: Client;
    before(async () => {
      const { Client } = await import('pg');
      client = new Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
    });
    after(() => client.end());

    for (const conforming of ['on', 'off']) {
      it(`read back exactly as bound parameters, standard_conforming_strings ${conforming}`, async () => {
        await client.query(`SET standard_conforming_strings = ${conforming}; SET escape_string_warning = off`);
        for (const value of TRICKY) {
          const text = inlined('SELECT ? AS v, length(?) AS n', [value, value]) as string;
          const [row] = (await client.query(text)).rows as { v: string; n: number }[];
          const [bound] = (await client.query('SELECT $1::text AS v, length($1) AS n', [value])).rows as (typeof row)[];
          assert.deepEqual(row, bound, JSON.stringify(value));
          assert.equal(row?.v, value);
        }
      });
    }

    it('numbers, bigints and booleans take the type of where they stand, as parameters do', async () => {
      const text = inlined('SELECT 1 + ? AS n, ?::bigint AS big, NOT ? AS b, ? IS NULL AS none', [
        41,
        2n ** 62n,
        true,
        null,
      ]);
      const [row] = (await client.query(text as string)).rows;
      assert.deepEqual(row, { n: 42, big: String(2n ** 62n), b: false, none: true });
    });
  });
