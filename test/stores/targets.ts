import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { defineJob, type Job, type JobContext, type Store, type StoreFactory, type TablesSchema } from 'ferry';
import { postgres } from 'ferry/postgres';
import { sqlite } from 'ferry/sqlite';
import { freshSchema, postgresUnavailable } from './postgres/test-database.ts';

/** A fresh, empty database for one test, and how to read it back. */
export interface Database {
  /** The flags that point a job at it. */
  args: string[];
  /** How a run in this process opens its store on it. */
  open(batchSize?: number): () => Promise<Store>;
  /** Rows of a query without parameters, written in SQL both databases take; integers as numbers. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  rows(table: string, orderBy: string): Promise<Record<string, unknown>[]>;
  /** The tables of the database (of the schema, on PostgreSQL), sorted. */
  tables(): Promise<string[]>;
  checkpoint(job: string): Promise<unknown>;
  runs(job: string): Promise<{ id: string; status: string; error_code: string | null }[]>;
  close(): Promise<void>;
}

/** A job with no options that writes `tables` to the target's store by `run`. */
export function jobOn(
  target: StoreTarget,
  name: string,
  tables: TablesSchema,
  run: (ctx: JobContext) => Promise<void> | void,
): Job {
  return defineJob({ name, version: '1', description: 'test', store: target.factory, tables, config: {}, run });
}

export interface StoreTarget {
  name: string;
  /** The store a job declares for this database. */
  factory: StoreFactory;
  /** Why the target cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  fresh(): Promise<Database>;
}

function database(
  args: string[],
  factory: StoreFactory,
  config: Record<string, string>,
  query: Database['query'],
  close: () => Promise<void>,
  listTables: string,
): Database {
  return {
    args,
    open:
      (batchSize = 1000) =>
      async () =>
        (await factory.open({ ...config, batchSize }, 'write')) as Store,
    query,
    rows: (table, orderBy) => query(`SELECT * FROM "${table}" ORDER BY ${orderBy}`),
    tables: async () => (await query(listTables)).map((r) => String(r.name)).sort(),
    checkpoint: async (job) => {
      const [row] = await query(`SELECT value FROM _ferry_checkpoints WHERE job = '${job}'`);
      return row === undefined ? undefined : JSON.parse(String(row.value));
    },
    runs: async (job) =>
      (await query(`SELECT id, status, error_code FROM _ferry_runs WHERE job = '${job}' ORDER BY started_at`)) as never,
    close,
  };
}

export const sqliteTarget: StoreTarget = {
  name: 'sqlite',
  factory: sqlite(),
  unavailable: async () => undefined,
  async fresh() {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-store-')), 'test.db');
    const query = async (sql: string) => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db
          .prepare(sql)
          .all()
          .map((r) => ({ ...r }));
      } finally {
        db.close();
      }
    };
    const tables = "SELECT name FROM sqlite_schema WHERE type = 'table'";
    return database(['--db-path', file], sqlite(), { dbPath: file }, query, async () => {}, tables);
  },
};

/** A fresh schema on the server of TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). */
export const postgresTarget: StoreTarget = {
  name: 'postgres',
  factory: postgres(),
  unavailable: postgresUnavailable,
  async fresh() {
    const schema = await freshSchema();
    const query = (sql: string) => schema.queryNumbers(sql);
    const tables = `SELECT tablename AS name FROM pg_tables WHERE schemaname = '${schema.name}'`;
    return database(['--db-url', schema.url], postgres(), { dbUrl: schema.url }, query, () => schema.drop(), tables);
  },
};

export const targets: StoreTarget[] = [sqliteTarget, postgresTarget];
