/**
 * The event lines a job prints on stdout, one JSON object per line.
 * A change here is a change to docs/protocol.schema.json and docs/protocol.md.
 */
/** The `v` of every event line; it changes only when a change would break a reader. */
export const PROTOCOL_VERSION = 1;

/** A log line's importance; `--log-level` sets the least important one printed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** How a run ended: `succeeded` (exit 0), `failed` (64, 65, 75, 1) or `cancelled` (130). */
export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

/** What a run did to the data, as the result line and the run history report it. */
export interface Counts {
  /** Records read from the source, rejected ones included. */
  read: number;
  /** Rows that were not in the table before. */
  inserted: number;
  /** Rows whose values really changed (an upsert of equal values counts as `unchanged`). */
  updated: number;
  /** Rows written with the values they already had: a rerun counts everything here. */
  unchanged: number;
  /** Rows removed: by a `replace` scope, rows gone from the source. */
  deleted: number;
  /** Records that failed validation or could not be read; kept in `_ferry_rejects`. */
  rejected: number;
}

/** The fields every event line has. */
export interface EventBase {
  /** The protocol version, {@link PROTOCOL_VERSION}. */
  v: typeof PROTOCOL_VERSION;
  /** When the event happened, an ISO 8601 UTC timestamp. */
  ts: string;
}

/** The first line of a run: which job, which run, which process. */
export interface StartEvent extends EventBase {
  /** Always `start`. */
  type: 'start';
  /** The job's name. */
  job: string;
  /** The job's version. */
  version: string;
  /** The ferry version the job was built with. */
  ferry: string;
  /** This run's id, also in the result line and the run history. */
  runId: string;
  /** The job process's id. */
  pid: number;
  /** Whether the run is a `--dry-run` (everything rolled back at the end). */
  dryRun: boolean;
}

/** A log line; the job's own fields (`ctx.log.info(msg, fields)`) sit beside `msg`. */
export interface LogEvent extends EventBase {
  /** Always `log`. */
  type: 'log';
  /** Its importance. */
  level: LogLevel;
  /** The message, secrets redacted. */
  msg: string;
  /** Fields the job added, e.g. `code`, `url`. */
  [field: string]: unknown;
}

/** How far a run is (rate-limited): `done` of `total` in a named phase. */
export interface ProgressEvent extends EventBase {
  /** Always `progress`. */
  type: 'progress';
  /** What is being counted, e.g. `import`, as the job names it. */
  phase: string;
  /** How many are done. */
  done: number;
  /** How many there are, when the source says (e.g. an `X-Total-Count` header). */
  total?: number;
}

/** A column a `schema` event reports: its name, ferry's type and the database's. */
export interface SchemaColumn {
  /** The column's name, as in the table. */
  name: string;
  /** ferry's type: `text`, `integer`, `numeric`, `real`, `boolean`, `date`, `timestamp`, `timestamptz`, `json` or `blob`. */
  type: string;
  /** How the database declares it, e.g. `BIGINT`, `NUMERIC`, `DATE TEXT`. */
  sqlType: string;
}

/** A table the run created, or grew by new columns (before any row of the run is in it). */
export interface SchemaEvent extends EventBase {
  /** Always `schema`. */
  type: 'schema';
  /** The table's name. */
  table: string;
  /** `created`: the table is new; `altered`: columns were added to it. */
  change: 'created' | 'altered';
  /** The columns added (every column, when created), in the table's order. */
  columns: SchemaColumn[];
}

/** Why a run failed, on its result line. */
export interface ResultError {
  /** A stable code, e.g. `LOCKED`, `HTTP_401`, `CONFIG_INVALID`: for programs. */
  code: string;
  /** What went wrong and what to do, secrets redacted: for people. */
  message: string;
  /** Whether running again later may succeed (exit 75). */
  retryable: boolean;
}

/** The last line of every run, whatever happened: the status, the exit code and the counts. */
export interface ResultEvent extends EventBase {
  /** Always `result`. */
  type: 'result';
  /** The job's name. */
  job: string;
  /** The run's id, as in its start line (empty when the config was refused before a run began). */
  runId: string;
  /** How it ended. */
  status: RunStatus;
  /** The process's exit code: 0, 64, 65, 75, 130 or 1. */
  exitCode: number;
  /** Whether it was a `--dry-run`: the counts are what a real run would do. */
  dryRun: boolean;
  /** What the run did, read back from the run history when there is a store. */
  counts: Counts;
  /** How long the run took. */
  durationMs: number;
  /** Why it failed; absent on success. */
  error?: ResultError;
}

/** Any event line a job prints; `type` tells which. */
export type FerryEvent = StartEvent | LogEvent | ProgressEvent | SchemaEvent | ResultEvent;

export function emptyCounts(): Counts {
  return { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 };
}

export function envelope(): EventBase {
  return { v: PROTOCOL_VERSION, ts: new Date().toISOString() };
}
