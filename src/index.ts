/**
 * `ferry`: define a job ({@link defineJob}), its options, its errors and exit codes, and run it
 * in-process ({@link runJob}). Stores, sources and the CLI entry point are subpath exports.
 * @module ferry
 */
export { defineJob, isJob } from './job/define-job.ts';
export { runJob, type RunOptions, type RunResult } from './job/run-job.ts';
export type {
  Fields,
  Job,
  JobBase,
  JobContext,
  JobDefinition,
  Logger,
  PipelineJobDefinition,
  RunJobDefinition,
} from './job/types.ts';
export type {
  BooleanOption,
  ConfigOf,
  ConfigSchema,
  ConfigValue,
  DurationOption,
  EnumOption,
  IntOption,
  ListOption,
  NumberOption,
  OptionBase,
  OptionSpec,
  PathOption,
  StringOption,
  UrlOption,
} from './config/options.ts';
export {
  ConfigError,
  PermanentError,
  RetryableError,
  CancelledError,
  FerryError,
  isFerryError,
  type ErrorKind,
  type FerryErrorOptions,
} from './errors/errors.ts';
export { ExitCode, exitCodeFor } from './errors/exit-codes.ts';
export { MemoryReporter, type Reporter } from './events/reporter.ts';
export {
  PROTOCOL_VERSION,
  type FerryEvent,
  type Counts,
  type LogLevel,
  type ResultError,
  type RunStatus,
  type SchemaColumn,
  type SchemaEvent,
} from './events/protocol.ts';
export { FERRY_VERSION } from './version.ts';
export { id, type IdPart } from './id.ts';
export { isExactNumber, jsonText, parseJson, type ExactNumber } from './values/exact-json.ts';
export type { TableSpec, TablesSchema, ColumnType, WriteMode, Row } from './stores/tables.ts';
export type {
  Store,
  StoreFactory,
  RunRecord,
  Batch,
  ReplaceBatch,
  ReplaceRows,
  PendingWrite,
  Reject,
  StoredReject,
  Checkpoint,
  RunStart,
  RunEnd,
  SchemaChange,
  WriteCounts,
} from './stores/store.ts';
export type { Position, SourceItem } from './sources/source-item.ts';
