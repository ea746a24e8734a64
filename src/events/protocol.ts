/**
 * The event lines a job prints on stdout, one JSON object per line.
 * A change here is a change to docs/protocol.schema.json and docs/protocol.md.
 */
export const PROTOCOL_VERSION = 1;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

export interface Counts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  rejected: number;
}

export interface EventBase {
  v: typeof PROTOCOL_VERSION;
  ts: string;
}

export interface StartEvent extends EventBase {
  type: 'start';
  job: string;
  version: string;
  ferry: string;
  runId: string;
  pid: number;
  dryRun: boolean;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export interface ProgressEvent extends EventBase {
  type: 'progress';
  phase: string;
  done: number;
  total?: number;
}

export interface ResultError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface ResultEvent extends EventBase {
  type: 'result';
  job: string;
  runId: string;
  status: RunStatus;
  exitCode: number;
  dryRun: boolean;
  counts: Counts;
  durationMs: number;
  error?: ResultError;
}

export type FerryEvent = StartEvent | LogEvent | ProgressEvent | ResultEvent;

export function emptyCounts(): Counts {
  return { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 };
}

export function envelope(): EventBase {
  return { v: PROTOCOL_VERSION, ts: new Date().toISOString() };
}
