import type { ConfigSchema } from '../../config/options.ts';
import type { StoreFactory } from '../store.ts';
import { commonStoreOptions } from '../store-options.ts';
import { SqliteStore } from './sqlite-store.ts';

const options = {
  dbPath: { type: 'path', default: './ferry.db', description: 'the SQLite database file (created when missing)' },
  ...commonStoreOptions,
} as const satisfies ConfigSchema;

/** The embedded default store: every job that uses it gets --db-path (DB_PATH). */
export function sqlite(): StoreFactory {
  return {
    kind: 'sqlite',
    options,
    async open(config, mode) {
      const path = String(config.dbPath);
      return mode === 'read' ? SqliteStore.openForReading(path) : SqliteStore.open(path);
    },
  };
}

export { SqliteStore } from './sqlite-store.ts';
