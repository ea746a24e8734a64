import { CancelledError, isErrorKind } from '../errors/errors.ts';
import { envelope, type Counts, type FerryEvent, type LogLevel, type SchemaEvent } from '../events/protocol.ts';
import { GuardError } from '../errors/guard-error.ts';
import { id } from '../id.ts';
import type { Redactor } from '../secrets/redact.ts';
import { describePosition, type Position, type SourceItem } from '../sources/source-item.ts';
import type { Reject, SchemaChange } from '../stores/store.ts';
import { validate } from '../sources/validate.ts';
import type { Batcher } from './batcher.ts';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Accepted, Fields, JobContext, Logger } from './types.ts';
import { stringify } from '../values/deep-json.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
// Fields that belong to the event envelope; a job's field of that name is kept as `_name`.
const RESERVED = new Set(['v', 'ts', 'type', 'level', 'msg']);
const PROGRESS_INTERVAL_MS = 100;

export interface ContextParts<C> {
  config: C;
  job: { name: string; version: string };
  runId: string;
  dryRun: boolean;
  signal: AbortSignal;
  logLevel: LogLevel;
  counts: Counts;
  emit: (event: FerryEvent) => void;
  checkpoint: unknown;
  batcher: Batcher | undefined;
  maxRejects: number;
  /** The run's: what the rejects table keeps is redacted too. */
  redactor: Redactor;
}

const LOGGED_REJECTS = 10;

export function createLogger(emit: (event: FerryEvent) => void, minLevel: LogLevel): Logger {
  const min = LEVELS.indexOf(minLevel);
  const logAt =
    (level: LogLevel) =>
    (msg: string, fields: Fields = {}) => {
      if (LEVELS.indexOf(level) < min) return;
      emit({ ...envelope(), type: 'log', level, msg, ...escapeReserved(fields) });
    };
  return { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
}

function escapeReserved(fields: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) out[RESERVED.has(k) ? `_${k}` : k] = v;
  return out;
}

export function createContext<C>(parts: ContextParts<C>): JobContext<C> {
  const { emit, counts, signal } = parts;
  const throwIfCancelled = () => {
    if (signal.aborted) throw isErrorKind(signal.reason, 'cancelled') ? signal.reason : new CancelledError();
  };
  const lastAt = new Map<string, number>();
  const log = createLogger(emit, parts.logLevel);
  const reject = (item: SourceItem<unknown>, reason: string) => {
    counts.rejected++;
    const raw = item.ok ? item.record : item.raw;
    const where = describePosition(item.position);
    if (counts.rejected <= LOGGED_REJECTS) log.warn(`rejected ${where}: ${reason}`, { position: item.position });
    parts.batcher?.reject(storedReject(parts, item.position, raw, reason));
    if (counts.rejected > parts.maxRejects) {
      throw new GuardError(
        `${counts.rejected} record${counts.rejected === 1 ? '' : 's'} rejected, more than --max-rejects ${parts.maxRejects} (the last: ${where}: ${reason}); nothing of this run is kept — see the rejects command`,
        { code: 'REJECTS_OVER_LIMIT' },
      );
    }
  };
  return {
    config: parts.config,
    job: parts.job,
    runId: parts.runId,
    dryRun: parts.dryRun,
    signal,
    log,
    progress(phase, done, total) {
      assertCount('progress done', done);
      if (total !== undefined) assertCount('progress total', total);
      const now = performance.now();
      const final = total !== undefined && done >= total;
      if (!final && now - (lastAt.get(phase) ?? -Infinity) < PROGRESS_INTERVAL_MS) return;
      lastAt.set(phase, now);
      emit({ ...envelope(), type: 'progress', phase, done, ...(total === undefined ? {} : { total }) });
    },
    count(kind, n = 1) {
      assertCount(`count ${kind}`, n);
      counts[kind] += n;
    },
    throwIfCancelled,
    checkpoint: parts.checkpoint,
    write(table, rows) {
      try {
        throwIfCancelled(); // a cancelled run stops at its next write, even if it never checks
        return needStore(parts.batcher).write(table, rows) ?? QUEUED;
      } catch (error) {
        return Promise.reject(error);
      }
    },
    setCheckpoint: (value) => needStore(parts.batcher).setCheckpoint(value),
    async defineTable(name, spec) {
      for (const change of await needStore(parts.batcher).defineTable(name, spec)) emit(schemaEvent(change));
    },
    tableColumns: (name) => needStore(parts.batcher).tableColumns(name),
    flush: () => needStore(parts.batcher).flush(),
    replace: (table, scope, rows) => needStore(parts.batcher).replace(table, scope, rows),
    async accept(item, schema) {
      counts.read++;
      if (!item.ok) return void reject(item, item.reason);
      if (!schema) return item.record as never;
      const result = await validate(schema, item.record);
      if (!result.ok) return void reject(item, result.reason);
      return result.value;
    },
    async acceptAll<T>(items: readonly SourceItem<unknown>[], schema?: StandardSchemaV1<unknown, T>) {
      const accepted: Accepted<T>[] = [];
      for (const item of items) {
        counts.read++;
        if (!item.ok) {
          reject(item, item.reason);
        } else if (!schema) {
          accepted.push(item as Accepted<T>); // the item itself: a record and its position
        } else {
          const result = await validate(schema, item.record);
          if (result.ok) accepted.push({ record: result.value, position: item.position });
          else reject(item, result.reason);
        }
      }
      return accepted;
    },
  };
}

/**
 * A reject as the store keeps it: redacted, since the table outlives the run and `rejects` lists
 * it in an invocation that may not know the secret. Its id leaves out the position (an
 * incremental run's URL carries `since=…`), so a record rejected again is the same reject seen again.
 */
function storedReject(parts: ContextParts<unknown>, position: Position, raw: unknown, reason: string): Reject {
  const { redactor } = parts;
  const stored = {
    source: redactor.string(position.source),
    position: redactor.value({ ...position }),
    raw: redactor.value(raw),
    reason: redactor.string(reason),
  };
  return { id: id(parts.job.name, stringify(stored.raw ?? null), stored.reason), ...stored };
}

/** The `schema` line of a table created or grown. */
export function schemaEvent(change: SchemaChange): SchemaEvent {
  return { ...envelope(), type: 'schema', ...change };
}

function assertCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what}: ${n} is not a whole number >= 0`);
}

/** What ctx.write gives when the rows were only queued: one settled promise, not one per call. */
const QUEUED = Promise.resolve();

function needStore(batcher: Batcher | undefined): Batcher {
  if (!batcher) throw new TypeError('this job has no store: declare one, e.g. store: sqlite() from ferry/sqlite');
  return batcher;
}
