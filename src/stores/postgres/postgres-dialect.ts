import type { Counts } from '../../events/protocol.ts';
import { ConfigError, RetryableError } from '../../errors/errors.ts';
import { bookkeepingSql } from '../bookkeeping.ts';
import type { Column, Dialect, KeptEnd, RunLock } from '../dialect.ts';
import { q } from '../quote.ts';
import type { ColumnType, Row, TableSpec } from '../tables.ts';
import { bookkeepingColumns, checkBookkeeping } from '../bookkeeping-check.ts';
import { Connection } from './connection.ts';
import { checkNames } from './names.ts';
import { columnTypeOf, inlined, SQL_TYPE } from './sql.ts';
import { roundingColumns } from './rounding-columns.ts';
import { scopeSweep, TableWriter, type PgSweep } from './table-writer.ts';
import { UndoJournal } from './undo-journal.ts';

const RECONNECT_TIMEOUT_MS = 5000;
// Times are the server's clock: one clock for every machine that runs the job.
const TYPES = { time: 'TIMESTAMPTZ', count: 'BIGINT', flag: 'BOOLEAN', seq: 'seq BIGINT GENERATED ALWAYS AS IDENTITY' };
const BOOKKEEPING_SQL = `${bookkeepingSql(TYPES)}ALTER TABLE _ferry_checkpoints ADD COLUMN IF NOT EXISTS tables TEXT;`;
/** Whether every object above exists: then a run creates nothing and takes no DDL lock. */
const BOOKKEEPING_PRESENT_SQL = `SELECT to_regclass('_ferry_runs') IS NOT NULL AND to_regclass('_ferry_checkpoints') IS NOT NULL
  AND to_regclass('_ferry_rejects') IS NOT NULL
  AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('_ferry_checkpoints') AND attname = 'tables' AND NOT attisdropped) AS present`;
/** Whether there is a history to read: `check` and `rejects` need only these two tables. */
const HISTORY_PRESENT_SQL = `SELECT to_regclass('_ferry_runs') IS NOT NULL AND to_regclass('_ferry_rejects') IS NOT NULL AS present`;
/** ferry's tables and their columns (`tables` of _ferry_checkpoints comes from the ALTER above). */
const BOOKKEEPING_COLUMNS = bookkeepingColumns(BOOKKEEPING_SQL);
/** The columns each of ferry's tables has now in the session's schema (none for a table not there). */
const BOOKKEEPING_SHAPE_SQL = `SELECT c.relname AS name, array_agg(a.attname::text) AS columns FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.oid IN (${BOOKKEEPING_COLUMNS.map(([t]) => `to_regclass('${t}')`).join(', ')}) GROUP BY c.relname`;

/**
 * A PostgreSQL server: one session per run holds the run lock and commits each batch (COPY into
 * a staging table, one upsert) with its checkpoint and counts in one transaction.
 */
export class PostgresDialect implements Dialect {
  readonly begin = 'BEGIN';
  readonly now = 'clock_timestamp()';
  readonly insertionOrder = 'seq';
  readonly replaceChunk: number;
  readonly lock: RunLock;
  readonly #url: string;
  readonly #conn: Connection;
  readonly #schema: string;
  /** The schemas the URL's search_path named, #schema first: where an unqualified name would be found. */
  readonly #path: readonly string[];
  readonly #numbered = new Map<string, string>();

  private constructor(url: string, conn: Connection, schema: string, path: readonly string[], batchSize: number) {
    this.#url = url;
    this.#conn = conn;
    this.#schema = schema;
    this.#path = path;
    this.replaceChunk = batchSize;
    this.lock = advisoryLock(conn, schema);
  }

  /** A session for a run; `read` (check, rejects): read-only, and undefined while there is no history (nothing is created). */
  static async open(url: string, { batchSize = 1000, read = false } = {}): Promise<PostgresDialect | undefined> {
    const conn = await Connection.open(url, 'connecting');
    try {
      const { schema, path } = await pinSchema(conn, !read);
      if (read) await conn.query('reading the run history', 'SET default_transaction_read_only = on');
      else await checkTables(conn, schema, false);
      const [{ present } = { present: false }] = await conn.query<{ present: boolean }>(
        read ? 'reading the run history' : "preparing ferry's tables",
        read ? HISTORY_PRESENT_SQL : BOOKKEEPING_PRESENT_SQL,
      );
      if (!present && read) {
        await conn.close();
        return undefined;
      }
      if (read) await checkTables(conn, schema, true);
      if (!present) await ddl(conn, schema, "creating ferry's tables", BOOKKEEPING_SQL);
      return new PostgresDialect(url, conn, schema, path, batchSize);
    } catch (error) {
      await conn.close();
      throw error;
    }
  }

  get lost(): boolean {
    return this.#conn.lost;
  }

  query<R>(doing: string, sql: string, params: readonly unknown[] = [], prepare = false): Promise<R[]> {
    // What the session holds belongs to the transaction a rollback ends: it is never sent.
    if (sql.startsWith('ROLLBACK')) this.#conn.dropHeld();
    return this.#conn.query<R>(doing, this.#placeholders(sql), params, prepare);
  }

  /** Held until the next statement, its values written into it: a batch costs fewer round trips. */
  async exec(doing: string, sql: string, params: readonly unknown[] = [], prepare = false): Promise<void> {
    const text = inlined(sql, params);
    if (text !== undefined) this.#conn.hold(text);
    else await this.query(doing, sql, params, prepare);
  }

  /** `?` → `$1`, `$2`…: ferry's own statements name no identifier or literal with a `?` in it. */
  #placeholders(sql: string): string {
    let numbered = this.#numbered.get(sql);
    if (numbered === undefined) {
      let n = 0;
      numbered = sql.replace(/\?/g, () => `$${++n}`);
      this.#numbered.set(sql, numbered);
    }
    return numbered;
  }

  /**
   * A real run commits each batch without waiting for the disk: a server crash may take back the
   * newest batches, but always with their checkpoint, and the run's end is durable (see ending).
   */
  async started(dryRun: boolean): Promise<void> {
    if (!dryRun) await this.#conn.query('starting the run', 'SET synchronous_commit = off');
  }

  /** Durable before the result says so: this also flushes the batches committed without waiting. */
  async ending(dryRun: boolean): Promise<void> {
    if (!dryRun) await this.#conn.query('recording the result', 'SET LOCAL synchronous_commit = on');
  }

  readonly checkTable = checkNames;

  async columns(name: string): Promise<Column[]> {
    const columns = await this.#conn.query<{ name: string; type: string; key: number }>(
      'creating a table',
      'SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, coalesce(array_position(i.indkey::int2[], a.attnum) + 1, 0) AS key, ' +
        "(a.attgenerated <> '' OR a.attidentity = 'a') AS generated " +
        'FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary ' +
        'WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum',
      [q(name)],
    );
    return columns.map((c) => ({ ...c, type: columnTypeOf(c.type) }));
  }

  sqlType(type: ColumnType): string {
    return SQL_TYPE[type];
  }

  lockSchema(): Promise<void> {
    return lockDdl(this.#conn, this.#schema, 'creating a table');
  }

  readonly sameColumn = (a: string, b: string) => a === b;

  /**
   * ferry writes in the first schema of the search_path. A table of the name further along it (an
   * app's `public.orders` behind a schema named like the user) is the one psql's unqualified name
   * reaches: making another in front of it would put the rows where nobody looks for them.
   */
  async creating(name: string): Promise<void> {
    const [other] = await this.#conn.query<{ name: string }>(
      'creating a table',
      `SELECT relname AS name FROM pg_class WHERE relnamespace = $2::regnamespace AND lower(relname) = lower($1) AND relname <> $1
         AND relkind IN ('r', 'p', 'v', 'm', 'f') LIMIT 1`,
      [name, q(this.#schema)],
    );
    // `CREATE TABLE People` in psql or a migration makes people: ferry's "People" would be a second table.
    if (other !== undefined) {
      const message = `table ${name} is not in schema ${this.#schema}, but ${other.name} is, a name that differs only by case (PostgreSQL folds names written without quotes to lower case); ferry would make a second table: name the table ${other.name} (file-import and rest-import: --table ${other.name})`;
      throw new ConfigError(message, { code: 'PG_TABLE_ELSEWHERE' });
    }
    const further = this.#path.filter((s) => s !== this.#schema);
    if (further.length === 0) return;
    const [found] = await this.#conn.query<{ schema: string }>(
      'creating a table',
      `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relname = $1 AND n.nspname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       ORDER BY array_position($2::text[], n.nspname::text) LIMIT 1`,
      [name, further],
    );
    if (found === undefined) return;
    const message = `table ${name} is not in schema ${this.#schema}, where ferry writes (the first schema of the search_path), but in ${found.schema}, further along it; ferry would make a second ${name} in ${this.#schema}. Name the schema to write in: --db-url (DATABASE_URL) with ?options=-c%20search_path%3D${encodeURIComponent(found.schema)} (or ${this.#schema} to make the table there)`;
    throw new ConfigError(message, { code: 'PG_TABLE_ELSEWHERE' });
  }

  async writer(name: string, spec: TableSpec): Promise<TableWriter> {
    // COPY cannot write into a table under row-level security: such a table is always written by upsert.
    const sql = `SELECT NOT EXISTS (SELECT FROM ${q(name)}) AS empty, relrowsecurity AS secured FROM pg_class WHERE oid = to_regclass($1)`;
    const [row] = await this.#conn.query<{ empty: boolean; secured: boolean }>('creating a table', sql, [q(name)]);
    const rounding = await roundingColumns(this.#conn, name, spec);
    const empty = (row?.empty ?? false) && !row?.secured;
    return new TableWriter(this.#conn, name, spec, { empty, rounding });
  }

  scopeSweep(name: string, spec: TableSpec, scope: Row): Promise<PgSweep> {
    return scopeSweep(this.#conn, name, spec, scope);
  }

  openJournal(): Promise<UndoJournal> {
    return UndoJournal.open(this.#conn);
  }

  /** The run's own session broke (that is why it failed): record its end from a new one. */
  async recordElsewhere(
    _end: KeptEnd,
    error: unknown,
    record: (d: Dialect) => Promise<Counts>,
  ): Promise<Counts | undefined> {
    if ((error as { code?: unknown }).code !== 'PG_CONNECTION') return undefined;
    const conn = await Connection.open(this.#url, 'recording the result', RECONNECT_TIMEOUT_MS);
    try {
      const { schema, path } = await pinSchema(conn);
      return await record(new PostgresDialect(this.#url, conn, schema, path, this.replaceChunk));
    } finally {
      await conn.close();
    }
  }

  async close(): Promise<void> {
    await this.#conn.close(); // ends the session: the lock goes, and so does an open (dry-run) transaction
  }
}

/**
 * The run lock: a session-level advisory lock on the job (per database and schema), taken on the
 * connection that writes the run's batches. It holds across machines and dies with the session,
 * however the process dies (the server ends a session whose socket closed; keepalives catch a
 * machine that vanished). Lock and writes share the session, so no batch can commit once the
 * lock is gone, which a separate lock connection could not promise.
 */
function advisoryLock(conn: Connection, schema: string): RunLock {
  return {
    async acquire(job, holder) {
      const sql = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked';
      const [row] = await conn.query<{ locked: boolean }>('taking the run lock', sql, [`ferry:${schema}:${job}`]);
      if (row?.locked) return;
      const message = `already running: ${await holder()} (in schema ${schema}); this run stops without writing (try again when it ends)`;
      throw new RetryableError(message, { code: 'LOCKED' });
    },
  };
}

// A session read-only by its settings on a server that is not a standby: a failover will not change it.
const CURRENT_SCHEMA = `SELECT current_schema() AS schema, current_schemas(false)::text[] AS path,
  current_setting('transaction_read_only') = 'on' AND NOT pg_is_in_recovery() AS "readOnly"`;
const READ_ONLY =
  'PostgreSQL: the session is read-only (default_transaction_read_only is on, for the user, the database or in ' +
  '--db-url (DATABASE_URL) options) on a server that is not a standby: turn it off for the user that imports';

/**
 * Reads the schema the URL's search_path selects, and keeps this session to it; `writing`: refuses a
 * read-only one. `path` is every schema the search_path named that exists, that one first.
 */
async function pinSchema(conn: Connection, writing = true): Promise<{ schema: string; path: string[] }> {
  const [{ schema, path, readOnly } = { schema: null, path: [], readOnly: false }] = await conn.query<{
    schema: string | null;
    path: string[];
    readOnly: boolean;
  }>('connecting', CURRENT_SCHEMA);
  if (writing && readOnly) throw new ConfigError(READ_ONLY, { code: 'PG_READ_ONLY' });
  if (schema === null) {
    const message =
      'PostgreSQL: no schema on the search_path exists: create it, or name one in --db-url (DATABASE_URL) with ?options=-c%20search_path%3D<schema>';
    throw new ConfigError(message, { code: 'PG_SCHEMA_MISSING' });
  }
  await conn.query('connecting', `SET search_path = ${q(schema)}`);
  return { schema, path };
}

/** Schema changes from concurrent runs (of different jobs) go one at a time. */
async function lockDdl(conn: Connection, schema: string, doing: string): Promise<void> {
  await conn.query(doing, 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ferry-ddl:${schema}`]);
}

async function ddl(conn: Connection, schema: string, doing: string, sql: string): Promise<void> {
  await conn.query(doing, 'BEGIN');
  try {
    await lockDdl(conn, schema, doing);
    await conn.query(doing, sql);
    await conn.query(doing, 'COMMIT');
  } catch (error) {
    await conn.query(doing, 'ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Throws when a table named like one of ferry's in the schema is not ferry's (see checkBookkeeping). */
async function checkTables(conn: Connection, schema: string, complete: boolean): Promise<void> {
  const rows = await conn.query<{ name: string; columns: string[] }>("checking ferry's tables", BOOKKEEPING_SHAPE_SQL);
  const shapes = new Map(rows.map((r) => [r.name, r.columns]));
  checkBookkeeping(`schema ${schema}`, BOOKKEEPING_COLUMNS, (table) => shapes.get(table) ?? [], { complete });
}
