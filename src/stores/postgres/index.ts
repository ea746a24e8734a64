/**
 * `ferry/postgres`: the PostgreSQL store (`postgres()`, `--db-url`). `sqliteOrPostgres()`, from
 * `ferry/stores`, picks it when `--db-url` is given and SQLite otherwise.
 * @module ferry/postgres
 */
import type { ConfigSchema } from '../../config/options.ts';
import { RunStore } from '../run-store.ts';
import type { StoreFactory } from '../store.ts';
import { commonStoreOptions, RETENTION_MS } from '../store-options.ts';

const options = {
  dbUrl: {
    type: 'url',
    protocols: ['postgres', 'postgresql'],
    required: true,
    env: 'DATABASE_URL',
    description: 'the PostgreSQL database (its password is never printed); a search_path in ?options= picks the schema',
    example: 'postgres://ferry:secret@db.internal:5432/imports?options=-c%20search_path%3Dimports',
  },
  ...commonStoreOptions,
} as const satisfies ConfigSchema;

/**
 * The shared-server store: every job that uses it gets --db-url (DATABASE_URL) and --batch-size.
 * The driver (pg) loads when a run opens the store, so a job that never does pays nothing for it.
 */
export function postgres(): StoreFactory {
  return {
    kind: 'postgres',
    options,
    selectedBy: 'dbUrl',
    async open(config, mode) {
      const { PostgresDialect } = await import('./postgres-dialect.ts');
      const url = String(config.dbUrl);
      const retentionMs = Number(config.historyRetention ?? RETENTION_MS);
      const dialect = await PostgresDialect.open(url, {
        batchSize: Number(config.batchSize ?? 1000),
        read: mode === 'read',
      });
      return dialect && new RunStore(dialect, { retentionMs });
    },
  };
}
