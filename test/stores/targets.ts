import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { freshSchema, postgresUnavailable } from './postgres/test-database.ts';

/** A fresh, empty database for one test, and how to read it back. */
export interface Database {
  /** The flags that point a job at it. */
  args: string[];
  rows(table: string, orderBy: string): Promise<Record<string, unknown>[]>;
  checkpoint(job: string): Promise<unknown>;
  runs(job: string): Promise<{ id: string; status: string; error_code: string | null }[]>;
  close(): Promise<void>;
}

export interface StoreTarget {
  name: string;
  /** Why the target cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  fresh(): Promise<Database>;
}

export const sqliteTarget: StoreTarget = {
  name: 'sqlite',
  unavailable: async () => undefined,
  async fresh() {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-store-')), 'test.db');
    const read = <T>(sql: string, ...params: string[]): T[] => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db.prepare(sql).all(...params).map((r) => ({ ...r })) as T[];
      } finally {
        db.close();
      }
    };
    return {
      args: ['--db-path', file],
      rows: async (table, orderBy) => read(`SELECT * FROM "${table}" ORDER BY ${orderBy}`),
      checkpoint: async (job) => {
        const [row] = read<{ value: string }>('SELECT value FROM _ferry_checkpoints WHERE job = ?', job);
        return row === undefined ? undefined : JSON.parse(row.value);
      },
      runs: async (job) => read('SELECT id, status, error_code FROM _ferry_runs WHERE job = ? ORDER BY started_at', job),
      close: async () => {},
    };
  },
};

/** A fresh schema on the server of TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). */
export const postgresTarget: StoreTarget = {
  name: 'postgres',
  unavailable: postgresUnavailable,
  async fresh() {
    const schema = await freshSchema();
    return {
      args: ['--db-url', schema.url],
      rows: (table, orderBy) => schema.query(`SELECT * FROM "${table}" ORDER BY ${orderBy}`),
      checkpoint: async (job) => {
        const [row] = await schema.query<{ value: string }>('SELECT value FROM _ferry_checkpoints WHERE job = $1', [job]);
        return row === undefined ? undefined : JSON.parse(row.value);
      },
      runs: (job) => schema.query('SELECT id, status, error_code FROM _ferry_runs WHERE job = $1 ORDER BY started_at', [job]),
      close: () => schema.drop(),
    };
  },
};

export const targets: StoreTarget[] = [sqliteTarget, postgresTarget];
