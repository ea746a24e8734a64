/**
 * ferry's own tables, next to the data: the truth about runs, checkpoints and rejects lives with
 * it. A dialect names its types for a time, a count and a flag; `seq` is a column that numbers
 * the rejects in insertion order, where the database has no rowid.
 */
export function bookkeepingSql(types: { time: string; count: string; flag: string; seq?: string }): string {
  const { time, count, flag, seq } = types;
  return `
CREATE TABLE IF NOT EXISTS _ferry_runs (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  started_at ${time} NOT NULL,
  finished_at ${time},
  status TEXT NOT NULL,
  exit_code INTEGER,
  dry_run ${flag} NOT NULL DEFAULT false,
  read ${count} NOT NULL DEFAULT 0,
  inserted ${count} NOT NULL DEFAULT 0,
  updated ${count} NOT NULL DEFAULT 0,
  unchanged ${count} NOT NULL DEFAULT 0,
  deleted ${count} NOT NULL DEFAULT 0,
  rejected ${count} NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT
);
CREATE INDEX IF NOT EXISTS _ferry_runs_job_started ON _ferry_runs (job, started_at);
CREATE TABLE IF NOT EXISTS _ferry_checkpoints (
  job TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  tables TEXT,
  run_id TEXT NOT NULL,
  updated_at ${time} NOT NULL
);
CREATE TABLE IF NOT EXISTS _ferry_rejects (
  id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  run_id TEXT NOT NULL,
  source TEXT NOT NULL,
  position TEXT NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  first_seen ${time} NOT NULL,
  last_seen ${time} NOT NULL${seq ? `,\n  ${seq}` : ''}
);
CREATE INDEX IF NOT EXISTS _ferry_rejects_job ON _ferry_rejects (job, last_seen);
`;
}
