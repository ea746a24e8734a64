import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors/errors.ts';
import { q } from '../stores/quote.ts';
import { snapshotPostgres, snapshotSqlite, type Snapshot } from './snapshot.ts';

/** One run's database: the flags that point the job at it, and how to read its tables back. */
export interface TrialDatabase {
  args: readonly string[];
  snapshot(): Promise<Snapshot>;
}

/** Where verify's runs go: a fresh database per run, all removed by dispose. */
export interface TrialDatabases {
  /** Where the runs go, when worth saying (the schemas to drop by hand if verify itself is SIGKILLed). */
  where?: string;
  fresh(): Promise<TrialDatabase>;
  dispose(): Promise<void>;
}

/** The flags by which a job's args would pick its own database, which verify must not touch. */
export function ownDatabaseFlag(args: readonly string[]): string | undefined {
  return args.find((a) => /^--db-(path|url)(=|$)/.test(a))?.replace(/=.*/s, '');
}

/** A SQLite file per run, in a temporary directory. */
export async function sqliteDatabases(): Promise<TrialDatabases> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-verify-'));
  let n = 0;
  return {
    async fresh() {
      const file = path.join(dir, `run-${++n}.db`);
      return { args: ['--db-path', file], snapshot: async () => snapshotSqlite(file) };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A schema per run on the server of `url`: ferry_verify_<random>_<n>, which the job gets as the
 * search_path of its --db-url (the store works in the schema its search_path selects).
 */
export function postgresDatabases(url: string): TrialDatabases {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new ConfigError('--db-url (DATABASE_URL) must be a postgres:// or postgresql:// URL');
  const base = new URL(url);
  const prefix = `ferry_verify_${randomBytes(4).toString('hex')}_`;
  const made: string[] = [];
  return {
    where: `schemas ${prefix}<n>, dropped at the end`,
    async fresh() {
      const schema = `${prefix}${made.length + 1}`;
      await onServer(url, 'creating a schema for a run', `CREATE SCHEMA ${q(schema)}`);
      made.push(schema);
      const own = withSearchPath(base, schema);
      return { args: ['--db-url', own], snapshot: () => snapshotPostgres(own) };
    },
    async dispose() {
      if (made.length > 0)
        await onServer(
          url,
          "dropping the runs' schemas",
          made.map((s) => `DROP SCHEMA IF EXISTS ${q(s)} CASCADE`).join('; '),
        );
    },
  };
}

/** The URL with `-c search_path=<schema>` after any options it has (the last setting wins). */
function withSearchPath(base: URL, schema: string): string {
  const url = new URL(base.href);
  const given = url.searchParams.get('options');
  url.searchParams.set('options', `${given ? `${given} ` : ''}-c search_path=${schema}`);
  return url.href;
}

async function onServer(url: string, doing: string, sql: string): Promise<void> {
  const { Connection } = await import('../stores/postgres/connection.ts');
  const conn = await Connection.open(url, doing);
  try {
    await conn.query(doing, sql);
  } finally {
    await conn.close();
  }
}
