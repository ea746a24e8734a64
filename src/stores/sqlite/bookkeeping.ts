import type { DatabaseSync } from 'node:sqlite';
import { bookkeepingColumns, checkBookkeeping } from '../bookkeeping-check.ts';
import { columnsOf } from './sql.ts';

/** ferry's own tables, next to the data: the truth about runs and checkpoints lives with it. */
export const BOOKKEEPING_SQL = `
CREATE TABLE IF NOT EXISTS _ferry_runs (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  exit_code INTEGER,
  dry_run INTEGER NOT NULL DEFAULT 0,
  read INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS _ferry_runs_job_started ON _ferry_runs (job, started_at);
CREATE TABLE IF NOT EXISTS _ferry_checkpoints (
  job TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  tables TEXT,
  run_id TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _ferry_rejects (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  run_id TEXT NOT NULL,
  source TEXT NOT NULL,
  position TEXT NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS _ferry_rejects_job ON _ferry_rejects (job, last_seen);
`;

/** Brings a database made by an older ferry up to these tables: columns are only ever added. */
export function upgradeBookkeeping(db: DatabaseSync): void {
  if (!columnsOf(db, '_ferry_checkpoints').includes('tables'))
    db.exec('ALTER TABLE _ferry_checkpoints ADD COLUMN tables TEXT');
}

const COLUMNS = bookkeepingColumns(BOOKKEEPING_SQL);
const ADDED_LATER = new Set(['_ferry_checkpoints.tables']); // by upgradeBookkeeping

/** Throws when a table named like one of ferry's in `file` is not ferry's (see checkBookkeeping). */
export function checkSqliteBookkeeping(db: DatabaseSync, file: string, complete: boolean): void {
  checkBookkeeping(file, COLUMNS, (table) => columnsOf(db, table), { complete, addedLater: ADDED_LATER });
}
