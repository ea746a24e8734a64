// A PostgreSQL schema per test, on the server named by TEST_DATABASE_URL (default: the local one).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { after } from 'node:test';
import type { Client } from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
// Per machine, so a shared server's schemas of another machine's live tests are never swept.
const PREFIX = `ferry_test_${createHash('sha256').update(hostname()).digest('hex').slice(0, 6)}_`;
let made = 0;
let swept = false;

export interface TestSchema {
  name: string;
  /** TEST_DATABASE_URL with its search_path set to this schema: what a job gets as --db-url. */
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The same, with 64-bit integers (counts, BIGINT columns) read as numbers, as SQLite gives them. */
  queryNumbers(sql: string): Promise<Record<string, unknown>[]>;
  /** Ends (pg_terminate_backend) the session holding `job`'s run lock in this schema; false when none does. */
  endRunSession(job: string): Promise<boolean>;
  drop(): Promise<void>;
}

async function connect(url = TEST_DATABASE_URL, int8AsNumber = false): Promise<Client> {
  const { Client, types } = await import('pg');
  const parse = ((oid: number, format?: 'text') =>
    oid === types.builtins.INT8 ? Number : types.getTypeParser(oid, format)) as typeof types.getTypeParser;
  const parsers = { getTypeParser: parse };
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: 3000,
    ...(int8AsNumber ? { types: parsers } : {}),
  });
  client.on('error', () => {}); // a test may kill sessions; the next query says so
  await client.connect();
  return client;
}

/** Why the PostgreSQL tests cannot run here, or undefined when a server answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    const client = await connect();
    await client.end();
    return undefined;
  } catch (error) {
    const where = TEST_DATABASE_URL.replace(/\/\/[^@/]*@/, '//');
    return `no PostgreSQL at ${where} (${(error as Error).message || (error as { code?: string }).code}); start one or set TEST_DATABASE_URL=postgres://user:password@host:5432/db to run them`;
  }
}

/** For one suite (call it inside `describe`): makes fresh schemas and drops them all when the suite ends. */
export function suiteSchemas(): () => Promise<TestSchema> {
  const schemas: TestSchema[] = [];
  after(() => Promise.all(schemas.map((s) => s.drop())));
  return async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    return schema;
  };
}

/** A new, empty schema; schemas left by this machine's test processes that are gone are dropped first. */
export async function freshSchema(): Promise<TestSchema> {
  const admin = await connect();
  try {
    if (!swept) await sweepOrphans(admin);
    swept = true;
    const name = `${PREFIX}${process.pid}_${++made}`;
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${name}`);
    const query = async <T>(sql: string, params: unknown[] = []) => {
      const client = await connect(url.href);
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    };
    return {
      name,
      url: url.href,
      query,
      async endRunSession(job: string) {
        // The session that holds this schema's run lock of the job is the run's, and no other test's.
        const ended = await query<{ ended: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
          [`ferry:${name}:${job}`],
        );
        return ended.some((row) => row.ended);
      },
      async queryNumbers(sql: string) {
        const client = await connect(url.href, true);
        try {
          return (await client.query(sql)).rows as Record<string, unknown>[];
        } finally {
          await client.end();
        }
      },
      async drop() {
        const client = await connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  } finally {
    await admin.end();
  }
}

async function sweepOrphans(admin: Client): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE '${PREFIX}%'`,
  );
  for (const { name } of rows) {
    const pid = Number(name.slice(PREFIX.length).split('_')[0]);
    if (pid !== process.pid && !alive(pid)) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
