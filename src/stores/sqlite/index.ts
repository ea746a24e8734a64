/**
 * `ferry/sqlite`: the embedded store, one SQLite file: `store: sqlite()` adds `--db-path`.
 * @module ferry/sqlite
 */
import type { ConfigSchema } from '../../config/options.ts';
import { RunStore } from '../run-store.ts';
import type { Store, StoreFactory } from '../store.ts';
import { commonStoreOptions, RETENTION_MS } from '../store-options.ts';
import { SqliteDialect } from './sqlite-dialect.ts';

const options = {
  dbPath: { type: 'path', default: './ferry.db', description: 'the SQLite database file (created when missing)' },
  busyTimeout: {
    type: 'duration',
    default: '5s',
    max: '24d',
    description: 'how long to wait while another process writes to the database before failing with 75',
  },
  ...commonStoreOptions,
} as const satisfies ConfigSchema;

/** How {@link openSqliteStore} opens the database: the busy timeout, and how long the history keeps runs. */
export interface SqliteStoreOptions {
  /** How long to wait while another process writes to the database. Default 5000. */
  busyTimeoutMs?: number;
  /** Runs and rejects older than this leave the history at the end of each run. Default 90 days. */
  retentionMs?: number;
}

/** The store on the SQLite database at `path` (created when missing), for a job's run. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  return new RunStore(SqliteDialect.open(path, options), options);
}

/** The embedded default store: every job that uses it gets --db-path (DB_PATH) and --busy-timeout. */
export function sqlite(): StoreFactory {
  return {
    kind: 'sqlite',
    options,
    async open(config, mode) {
      const path = String(config.dbPath);
      const settings = {
        busyTimeoutMs: Number(config.busyTimeout ?? 5000),
        retentionMs: Number(config.historyRetention ?? RETENTION_MS),
      };
      if (mode === 'write') return openSqliteStore(path, settings);
      const dialect = SqliteDialect.openForReading(path, settings);
      return dialect && new RunStore(dialect, settings);
    },
  };
}
