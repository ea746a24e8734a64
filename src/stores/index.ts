/**
 * `ferry/stores`: a store chosen at run time. `store: sqliteOrPostgres()` gives a job both
 * `--db-path` and `--db-url`; {@link selectStore} composes any stores the same way.
 * @module ferry/stores
 */
import { postgres } from './postgres/index.ts';
import { selectStore } from './select-store.ts';
import { sqlite } from './sqlite/index.ts';
import type { StoreFactory } from './store.ts';

export { selectStore } from './select-store.ts';

/** PostgreSQL when --db-url (DATABASE_URL) is given, else SQLite at --db-path (default ./ferry.db). */
export function sqliteOrPostgres(): StoreFactory {
  return selectStore(postgres(), sqlite());
}
