// TLS to PostgreSQL as a --db-url copied from a provider asks for it, through a proxy that speaks
// TLS (or refuses it) in front of the test server: sslmode as libpq reads it, and every way it can
// fail is a ConfigError (64, PG_TLS) that says what to change, never exit 1.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { startTlsProxy, TLS_FIXTURES, type TlsProxy } from '../helpers/tls-proxy.ts';
import {
  postgresUnavailable,
  suiteSchemas,
  TEST_DATABASE_URL,
  type TestSchema,
} from '../stores/postgres/test-database.ts';

const CA = path.join(TLS_FIXTURES, 'server.crt');

async function importThrough(db: TestSchema, port: number, params: string, host = '127.0.0.1') {
  const url = new URL(db.url);
  url.hostname = host;
  url.port = String(port);
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-pg-tls-')), 'people.csv');
  await writeFile(file, 'id,name\n1,Ada\n2,Grace\n');
  const finished = await runExample('file-import', [
    '--file',
    file,
    '--key',
    'id',
    '--db-url',
    `${url.href}&${params}`,
  ]);
  const result = parseEventLines(finished.stdout).at(-1);
  assert.ok(result?.type === 'result', finished.stderr);
  return { finished, result };
}

async function names(db: TestSchema): Promise<string[]> {
  return (await db.query<{ name: string }>('SELECT name FROM people ORDER BY id')).map((r) => r.name);
}

// Without a server these register nothing: the store behaviour suite prints the one line that says how to enable them.
if ((await postgresUnavailable()) === undefined)
  describe('file-import into PostgreSQL over TLS', () => {
    const schema = suiteSchemas();
    const upstream = new URL(TEST_DATABASE_URL);
    let secure: TlsProxy;
    let plain: TlsProxy;
    before(async () => {
      secure = await startTlsProxy(upstream, 'tls');
      plain = await startTlsProxy(upstream, 'refuse');
    });
    after(async () => {
      await secure[Symbol.asyncDispose]();
      await plain[Symbol.asyncDispose]();
    });

    it('sslmode=require encrypts without checking the certificate, as psql does: exit 0, every row, no warning', async () => {
      const db = await schema();
      const before = secure.handshakes;
      const { finished, result } = await importThrough(db, secure.port, 'sslmode=require');
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal(result.counts?.inserted, 2);
      assert.deepEqual(await names(db), ['Ada', 'Grace']);
      assert.ok(secure.handshakes > before, 'the session went through TLS');
      assert.doesNotMatch(finished.stderr, /SECURITY WARNING|DeprecationWarning/);
    });

    it('sslmode=verify-full against a certificate no CA vouches for: 64 PG_TLS naming the problem, nothing written', async () => {
      const db = await schema();
      const { finished, result } = await importThrough(db, secure.port, 'sslmode=verify-full');
      assert.deepEqual([finished.code, result.error?.code], [64, 'PG_TLS'], finished.stderr);
      assert.match(result.error?.message ?? '', /certificate is not accepted \(self-signed certificate\): give the CA/);
      const tables = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2',
        [db.name, 'people'],
      );
      assert.deepEqual(tables, [{ n: 0 }]);
    });

    it('sslmode=verify-full with the CA in sslrootcert: exit 0; the same by a name the certificate lacks: 64', async () => {
      const db = await schema();
      const good = await importThrough(db, secure.port, `sslmode=verify-full&sslrootcert=${CA}`);
      assert.equal(good.finished.code, 0, good.finished.stderr);
      assert.deepEqual(await names(db), ['Ada', 'Grace']);
      const renamed = await importThrough(db, secure.port, `sslmode=verify-full&sslrootcert=${CA}`, 'localhost');
      assert.deepEqual([renamed.finished.code, renamed.result.error?.code], [64, 'PG_TLS'], renamed.finished.stderr);
      assert.match(renamed.result.error?.message ?? '', /certificate is not accepted \(Hostname\/IP does not match/);
      // verify-ca checks the CA but not the name
      const ca = await importThrough(db, secure.port, `sslmode=verify-ca&sslrootcert=${CA}`, 'localhost');
      assert.equal(ca.finished.code, 0, ca.finished.stderr);
    });

    it('a server without TLS: sslmode=prefer and allow fall back to plain text; require is 64 PG_TLS', async () => {
      const db = await schema();
      for (const mode of ['prefer', 'allow']) {
        const { finished } = await importThrough(db, plain.port, `sslmode=${mode}`);
        assert.equal(finished.code, 0, `${mode}: ${finished.stderr}`);
      }
      assert.deepEqual(await names(db), ['Ada', 'Grace']);
      const { finished, result } = await importThrough(db, plain.port, 'sslmode=require');
      assert.deepEqual([finished.code, result.error?.code], [64, 'PG_TLS'], finished.stderr);
      assert.match(result.error?.message ?? '', /does not take TLS connections.*use sslmode=prefer/);
    });

    it('an sslmode no client knows, a CA file that is not there, verify-ca without a CA: 64 PG_TLS saying which', async () => {
      const db = await schema();
      const cases: [string, RegExp][] = [
        ['sslmode=bogus', /sslmode=bogus: use disable, allow, prefer, require, verify-ca, verify-full/],
        [
          'sslmode=verify-full&sslrootcert=/nonexistent/ca.pem',
          /sslrootcert=\/nonexistent\/ca\.pem, which cannot be read \(ENOENT\)/,
        ],
        [`sslmode=verify-full&sslrootcert=${TLS_FIXTURES}`, /which cannot be read \(not a file\)/],
        ['sslmode=verify-ca', /verify-ca checks the certificate against a CA.*add sslrootcert=<file>/],
      ];
      for (const [params, message] of cases) {
        const { finished, result } = await importThrough(db, secure.port, params);
        assert.deepEqual([finished.code, result.error?.code], [64, 'PG_TLS'], `${params}: ${finished.stderr}`);
        assert.match(result.error?.message ?? '', message, params);
      }
    });
  });
