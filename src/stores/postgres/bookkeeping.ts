import { bookkeepingColumns } from '../bookkeeping-check.ts';

/**
 * ferry's own tables, in the same schema as the data: the truth about runs and checkpoints lives
 * with it. Times are the server's clock (one clock for every machine that runs the job).
 */
export const BOOKKEEPING_SQL = `
CREATE TABLE IF NOT EXISTS _ferry_runs (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  status TEXT NOT NULL,
  exit_code INTEGER,
  dry_run BOOLEAN NOT NULL DEFAULT false,
  read BIGINT NOT NULL DEFAULT 0,
  inserted BIGINT NOT NULL DEFAULT 0,
  updated BIGINT NOT NULL DEFAULT 0,
  unchanged BIGINT NOT NULL DEFAULT 0,
  deleted BIGINT NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS _ferry_runs_job_started ON _ferry_runs (job, started_at);
CREATE TABLE IF NOT EXISTS _ferry_checkpoints (
  job TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  run_id TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS _ferry_rejects (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  run_id TEXT NOT NULL,
  source TEXT NOT NULL,
  position TEXT NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL,
  seq BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS _ferry_rejects_job ON _ferry_rejects (job, last_seen);
ALTER TABLE _ferry_checkpoints ADD COLUMN IF NOT EXISTS tables TEXT;
`;

/** Whether every object above exists: then a run creates nothing and takes no DDL lock. */
export const BOOKKEEPING_PRESENT_SQL = `SELECT to_regclass('_ferry_runs') IS NOT NULL AND to_regclass('_ferry_checkpoints') IS NOT NULL
  AND to_regclass('_ferry_rejects') IS NOT NULL
  AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('_ferry_checkpoints') AND attname = 'tables' AND NOT attisdropped) AS present`;

/** ferry's tables and their columns (`tables` of _ferry_checkpoints comes from the ALTER above). */
export const BOOKKEEPING_COLUMNS = bookkeepingColumns(BOOKKEEPING_SQL);

/** The columns each of ferry's tables has now in the session's schema (none for a table not there). */
export const BOOKKEEPING_SHAPE_SQL = `SELECT c.relname AS name, array_agg(a.attname::text) AS columns FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.oid IN (${BOOKKEEPING_COLUMNS.map(([t]) => `to_regclass('${t}')`).join(', ')}) GROUP BY c.relname`;
