/**
 * `ferry/sqlite`: the embedded store, one SQLite file: `store: sqlite()` adds `--db-path`.
 * @module ferry/sqlite
 */
import type { ConfigSchema } from '../../config/options.ts';
import type { StoreFactory } from '../store.ts';
import { commonStoreOptions, RETENTION_MS } from '../store-options.ts';
import { SqliteStore } from './sqlite-store.ts';

const options = {
  dbPath: { type: 'path', default: './ferry.db', description: 'the SQLite database file (created when missing)' },
  busyTimeout: { type: 'duration', default: '5s', description: 'how long to wait while another process writes to the database before failing with 75' },
  ...commonStoreOptions,
} as const satisfies ConfigSchema;

/** The embedded default store: every job that uses it gets --db-path (DB_PATH). */
export function sqlite(): StoreFactory {
  return {
    kind: 'sqlite',
    options,
    async open(config, mode) {
      const path = String(config.dbPath);
      const options = { busyTimeoutMs: Number(config.busyTimeout ?? 5000), retentionMs: Number(config.historyRetention ?? RETENTION_MS) };
      return mode === 'read' ? SqliteStore.openForReading(path, options) : SqliteStore.open(path, options);
    },
  };
}

export { SqliteStore } from './sqlite-store.ts';
