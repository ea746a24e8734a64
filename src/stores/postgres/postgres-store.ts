import { ConfigError, PermanentError } from '../../errors/errors.ts';
import { parseJson } from '../../values/exact-json.ts';
import type { Counts } from '../../events/protocol.ts';
import { byTable, type Batch, type Checkpoint, type Reject, type ReplaceBatch, type RunEnd, type RunRecord, type RunStart, type Store, type StoredReject, type WriteCounts } from '../store.ts';
import { validateTables, type Row, type TablesSchema } from '../tables.ts';
import { RETENTION_MS } from '../store-options.ts';
import { BOOKKEEPING_PRESENT_SQL, BOOKKEEPING_SQL, RUN_COLUMNS } from './bookkeeping.ts';
import { Connection } from './connection.ts';
import { acquireRunLock } from './lock.ts';
import { checkNames } from './names.ts';
import { createTableSql, q, SQL_TYPE } from './sql.ts';
import { KeyExists, ScopeSweep, TableWriter } from './table-writer.ts';
import { UndoJournal } from './undo-journal.ts';

const noCounts = (): WriteCounts => ({ inserted: 0, updated: 0, unchanged: 0, deleted: 0 });
const RECONNECT_TIMEOUT_MS = 5000;

/**
 * The store on a PostgreSQL server: one session per run that holds the run lock and commits each
 * batch (COPY into a staging table, one upsert) with its checkpoint and counts in one transaction.
 */
export class PostgresStore implements Store {
  readonly #url: string;
  readonly #conn: Connection;
  readonly #schema: string;
  readonly #batchSize: number;
  #retentionMs = RETENTION_MS;
  readonly #writers = new Map<string, TableWriter>();
  #tables: TablesSchema = {};
  #dryRun = false;
  #run: { id: string; job: string } | undefined;
  #journal: UndoJournal | undefined;
  #checkpointAtStart: { value: string; tables: string | null } | undefined;

  private constructor(url: string, conn: Connection, schema: string, batchSize: number) {
    this.#url = url;
    this.#conn = conn;
    this.#schema = schema;
    this.#batchSize = batchSize;
  }

  static async open(url: string, options: { batchSize?: number; retentionMs?: number } = {}): Promise<PostgresStore> {
    const conn = await Connection.open(url, 'connecting');
    try {
      const schema = await pinSchema(conn);
      const [{ present } = { present: false }] = await conn.query<{ present: boolean }>('preparing ferry\'s tables', BOOKKEEPING_PRESENT_SQL);
      if (!present) await ddl(conn, schema, 'creating ferry\'s tables', BOOKKEEPING_SQL);
      const store = new PostgresStore(url, conn, schema, options.batchSize ?? 1000);
      store.#retentionMs = options.retentionMs ?? RETENTION_MS;
      return store;
    } catch (error) {
      await conn.close();
      throw error;
    }
  }

  /** For `check` and `rejects`: a read-only session; no history yet gives undefined (and nothing is created). */
  static async openForReading(url: string): Promise<PostgresStore | undefined> {
    const conn = await Connection.open(url, 'connecting');
    try {
      const schema = await pinSchema(conn);
      await conn.query('reading the run history', 'SET default_transaction_read_only = on');
      const [{ exists } = { exists: false }] = await conn.query<{ exists: boolean }>('reading the run history', `SELECT to_regclass('_ferry_runs') IS NOT NULL AND to_regclass('_ferry_rejects') IS NOT NULL AS exists`);
      if (exists) return new PostgresStore(url, conn, schema, 1000);
    } catch (error) {
      await conn.close();
      throw error;
    }
    await conn.close();
    return undefined;
  }

  async prepare(tables: TablesSchema): Promise<void> {
    validateTables(tables);
    for (const [name, spec] of Object.entries(tables)) {
      checkNames(name, spec);
      await this.#transaction('creating a table', async () => {
        await lockDdl(this.#conn, this.#schema, 'creating a table');
        await this.#conn.query('creating a table', createTableSql(name, spec));
        const [{ key } = { key: [] }] = await this.#conn.query<{ key: string[] }>('creating a table',
          `SELECT coalesce(array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)), '{}') AS key FROM pg_index i ` +
            'JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary', [q(name)]);
        if (key.join('\0') !== spec.primaryKey.join('\0')) {
          throw new PermanentError(`table ${name} has the primary key (${key.join(', ')}) but the job declares (${spec.primaryKey.join(', ')}); ferry never drops data: migrate it by hand or use a new table`, { code: 'SCHEMA_MISMATCH' });
        }
        const existing = await this.#conn.query<{ name: string }>('creating a table', 'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped', [q(name)]);
        for (const [column, type] of Object.entries(spec.columns)) {
          if (!existing.some((c) => c.name === column)) await this.#conn.query('growing a table', `ALTER TABLE ${q(name)} ADD COLUMN ${q(column)} ${SQL_TYPE[type]}`);
        }
      });
      const [{ empty } = { empty: false }] = await this.#conn.query<{ empty: boolean }>('creating a table', `SELECT NOT EXISTS (SELECT FROM ${q(name)}) AS empty`);
      this.#tables = { ...this.#tables, [name]: spec };
      this.#writers.set(name, new TableWriter(this.#conn, name, spec, { empty }));
    }
  }

  async lock(job: string): Promise<void> {
    await acquireRunLock(this.#conn, this.#schema, job, () => this.#holder(job));
  }

  async #holder(job: string): Promise<string> {
    const [row] = await this.#conn.query<{ id: string; started_at: Date }>('reading the run history', `SELECT id, started_at FROM _ferry_runs WHERE job = $1 AND status = 'running' ORDER BY started_at DESC LIMIT 1`, [job]).catch(() => []);
    return row ? `run ${row.id} of ${job} started at ${row.started_at.toISOString()}` : `another run of ${job} holds the lock in schema ${this.#schema}`;
  }

  async startRun(run: RunStart): Promise<void> {
    this.#dryRun = run.dryRun;
    this.#run = { id: run.id, job: run.job };
    const doing = 'starting the run';
    // A dry run happens inside one transaction that is rolled back at the end. A real one commits
    // each batch without waiting for the disk: a server crash may take back the newest batches, but
    // always with their checkpoint, and the run's end is committed durably (see finishRun).
    await this.#conn.query(doing, run.dryRun ? 'BEGIN' : 'SET synchronous_commit = off');
    await this.#transaction(doing, async () => {
      // We hold the lock, so a run still marked running is one whose process died; its work stands.
      await this.#conn.query(doing, `UPDATE _ferry_runs SET status = 'failed', finished_at = clock_timestamp(), error_code = 'ABANDONED', error_message = 'the process ended without finishing (killed or crashed)' WHERE job = $1 AND status = 'running'`, [run.job]);
      await this.#conn.query(doing, `INSERT INTO _ferry_runs (id, job, started_at, status, dry_run) VALUES ($1, $2, clock_timestamp(), 'running', $3)`, [run.id, run.job, run.dryRun]);
      [this.#checkpointAtStart] = await this.#conn.query<{ value: string; tables: string | null }>(doing, 'SELECT value, tables FROM _ferry_checkpoints WHERE job = $1', [run.job]);
      if (!run.dryRun) this.#journal = await UndoJournal.open(this.#conn);
    });
  }

  async undoRun(runId: string, job: string): Promise<void> {
    await this.#transaction('taking back the run', async () => {
      // A dry run's writes all go at its final rollback; only its counts need taking back.
      await this.#journal?.undo(this.#tables);
      if (this.#checkpointAtStart === undefined) await this.#conn.query('taking back the run', 'DELETE FROM _ferry_checkpoints WHERE job = $1', [job]);
      else await this.#conn.query('taking back the run', 'UPDATE _ferry_checkpoints SET value = $1, tables = $2 WHERE job = $3', [this.#checkpointAtStart.value, this.#checkpointAtStart.tables, job]);
      await this.#conn.query('taking back the run', 'UPDATE _ferry_runs SET inserted = 0, updated = 0, unchanged = 0, deleted = 0 WHERE id = $1', [runId]);
    });
  }

  async rejects(job: string, limit: number): Promise<StoredReject[]> {
    const rows = await this.#conn.query<Record<string, string | Date>>('reading the rejects', 'SELECT * FROM _ferry_rejects WHERE job = $1 ORDER BY last_seen DESC, seq DESC LIMIT $2', [job, limit]);
    return rows.map((r) => ({
      id: String(r.id), runId: String(r.run_id), source: String(r.source), position: parseJson(String(r.position)) as Record<string, unknown>,
      raw: parseJson(String(r.raw)), reason: String(r.reason), firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen),
    }));
  }

  async readCheckpoint(job: string): Promise<Checkpoint | undefined> {
    const [row] = await this.#conn.query<{ value: string; tables: string | null }>('reading the checkpoint', 'SELECT value, tables FROM _ferry_checkpoints WHERE job = $1', [job]);
    return row === undefined ? undefined : { value: parseJson(row.value), tables: JSON.parse(row.tables ?? '[]') as string[] };
  }

  async isEmpty(table: string): Promise<boolean> {
    const [row] = await this.#conn.query<{ present: boolean }>('reading the checkpoint', 'SELECT to_regclass($1) IS NOT NULL AS present', [q(table)]);
    if (!row?.present) return true;
    const [{ empty } = { empty: true }] = await this.#conn.query<{ empty: boolean }>('reading the checkpoint', `SELECT NOT EXISTS (SELECT FROM ${q(table)}) AS empty`);
    return empty;
  }

  async commit(runId: string, job: string, batch: Batch): Promise<WriteCounts> {
    try {
      return await this.#commitOnce(runId, job, batch);
    } catch (error) {
      if (!(error instanceof KeyExists)) throw error;
      return this.#commitOnce(runId, job, batch); // rolled back; the table's writer now upserts
    }
  }

  async #commitOnce(runId: string, job: string, batch: Batch): Promise<WriteCounts> {
    const counts = noCounts();
    await this.#transaction('writing a batch', async () => {
      for (const [table, rows] of byTable(batch.writes)) await this.#writer(table).write(rows, counts, { journal: this.#journaling });
      await this.#saveRejects(runId, job, batch.rejects ?? []);
      if (batch.resolved?.length) await this.#conn.query('writing a batch', 'DELETE FROM _ferry_rejects WHERE id = ANY ($1::text[])', [batch.resolved]);
      await this.#finishBatch(runId, job, batch.checkpoint, batch.read, batch.rejected, counts);
    });
    return counts;
  }

  async replace(runId: string, job: string, batch: ReplaceBatch): Promise<WriteCounts> {
    const counts = noCounts();
    const writer = this.#writer(batch.table);
    const spec = this.#tables[batch.table];
    if (spec?.mode !== 'replace') throw new TypeError(`table ${batch.table} is not declared with mode: 'replace'`);
    await this.#transaction('replacing a scope', async () => {
      const sweep = await ScopeSweep.start(this.#conn, batch.table, spec, batch.scope);
      const options = { journal: this.#journaling, sweep };
      let chunk: Row[] = [];
      for await (const row of batch.rows) {
        chunk.push({ ...row, ...batch.scope });
        if (chunk.length < this.#batchSize) continue;
        await writer.write(chunk, counts, options);
        chunk = [];
      }
      if (chunk.length > 0) await writer.write(chunk, counts, options);
      await sweep.sweep(counts, this.#journaling);
      await this.#finishBatch(runId, job, batch.checkpoint, batch.read(), batch.rejected(), counts);
    });
    return counts;
  }

  /** Whether writes are journaled: not in a dry run, whose undo is its rollback. */
  get #journaling(): boolean {
    return this.#journal !== undefined;
  }

  async #saveRejects(runId: string, job: string, rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    const last = [...new Map(rejects.map((r) => [r.id, r])).values()]; // one statement may touch a key once
    await this.#conn.query('saving rejects',
      'INSERT INTO _ferry_rejects (id, job, run_id, source, position, raw, reason, first_seen, last_seen) ' +
        'SELECT r.id, $1, $2, r.source, r.position, r.raw, r.reason, clock_timestamp(), clock_timestamp() FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS r(id, source, position, raw, reason) ' +
        'ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, source = excluded.source, position = excluded.position, reason = excluded.reason, last_seen = excluded.last_seen',
      [job, runId, last.map((r) => r.id), last.map((r) => r.source), last.map((r) => JSON.stringify(r.position)), last.map((r) => JSON.stringify(r.raw ?? null)), last.map((r) => r.reason)]);
  }

  /** The batch's checkpoint, the run's counts and (when it wrote) its transaction for the journal: one statement. */
  async #finishBatch(runId: string, job: string, checkpoint: Checkpoint | undefined, read: number, rejected: number, c: WriteCounts): Promise<void> {
    const mark = this.#journaling && c.inserted + c.updated + c.deleted > 0 ? `, mark AS (${UndoJournal.markSql})` : '';
    await this.#conn.query('writing a batch',
      'WITH checkpoint AS (INSERT INTO _ferry_checkpoints (job, value, tables, run_id, updated_at) SELECT $2, $3, $11, $1, clock_timestamp() WHERE $4::boolean ' +
        `ON CONFLICT (job) DO UPDATE SET value = excluded.value, tables = excluded.tables, run_id = excluded.run_id, updated_at = excluded.updated_at)${mark} ` +
        'UPDATE _ferry_runs SET read = $5, rejected = $6, inserted = inserted + $7, updated = updated + $8, unchanged = unchanged + $9, deleted = deleted + $10 WHERE id = $1',
      [runId, job, JSON.stringify(checkpoint?.value ?? null), checkpoint !== undefined, read, rejected, c.inserted, c.updated, c.unchanged, c.deleted, JSON.stringify(checkpoint?.tables ?? [])], true);
  }

  async finishRun(runId: string, end: RunEnd): Promise<Counts> {
    const doing = 'recording the result';
    const record = async (conn: Connection) => {
      // Durable before the result says so: this also flushes the batches committed without waiting.
      if (!this.#dryRun) await conn.query(doing, 'SET LOCAL synchronous_commit = on');
      await conn.query(doing, 'UPDATE _ferry_runs SET status = $1, exit_code = $2, finished_at = clock_timestamp(), read = $3, error_code = $4, error_message = $5 WHERE id = $6',
        [end.status, end.exitCode, end.read, end.error?.code ?? null, end.error?.message ?? null, runId]);
      if (!this.#dryRun) await prune(conn, runId, this.#retentionMs);
      const [row] = await conn.query<Record<keyof Counts, string>>(doing, 'SELECT read, inserted, updated, unchanged, deleted, rejected FROM _ferry_runs WHERE id = $1', [runId]);
      return toCounts(row);
    };
    if (this.#dryRun) {
      const counts = await this.#transaction(doing, () => record(this.#conn));
      await this.#conn.query(doing, 'ROLLBACK');
      return counts;
    }
    try {
      return await this.#transaction(doing, () => record(this.#conn));
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'PG_CONNECTION') throw error;
      return this.#recordOnNewConnection(record);
    }
  }

  /** The run's own session broke (that is why it failed): say so in the history from a new one. */
  async #recordOnNewConnection(record: (conn: Connection) => Promise<Counts>): Promise<Counts> {
    const conn = await Connection.open(this.#url, 'recording the result', RECONNECT_TIMEOUT_MS);
    try {
      await pinSchema(conn);
      await conn.query('recording the result', 'BEGIN');
      const counts = await record(conn);
      await conn.query('recording the result', 'COMMIT');
      return counts;
    } finally {
      await conn.close();
    }
  }

  async runs(job: string, limit: number): Promise<RunRecord[]> {
    const rows = await this.#conn.query<Record<string, unknown>>('reading the run history', `SELECT ${RUN_COLUMNS} FROM _ferry_runs WHERE job = $1 AND NOT dry_run ORDER BY started_at DESC LIMIT $2`, [job, limit]);
    return rows.map(toRunRecord);
  }

  async close(): Promise<void> {
    await this.#conn.close(); // ends the session: the lock goes, and so does an open (dry-run) transaction
  }

  #writer(table: string): TableWriter {
    const writer = this.#writers.get(table);
    if (!writer) throw new TypeError(`table ${table} is not declared in the job's tables`);
    return writer;
  }

  /** A transaction, or inside a dry run's outer one, a savepoint. */
  async #transaction<T>(doing: string, work: () => Promise<T>): Promise<T> {
    const nested = this.#dryRun && this.#run !== undefined;
    await this.#conn.query(doing, nested ? 'SAVEPOINT ferry_batch' : 'BEGIN');
    let result: T;
    try {
      result = await work();
      await this.#conn.query(doing, nested ? 'RELEASE ferry_batch' : 'COMMIT');
    } catch (error) {
      if (!this.#conn.lost) await this.#conn.query(doing, nested ? 'ROLLBACK TO ferry_batch; RELEASE ferry_batch' : 'ROLLBACK').catch(() => {});
      for (const writer of this.#writers.values()) writer.rolledBack();
      throw error;
    }
    if (!nested) for (const writer of this.#writers.values()) writer.committed();
    return result;
  }
}

/** Reads the schema the URL's search_path selects, and keeps this session to it. */
async function pinSchema(conn: Connection): Promise<string> {
  const [{ schema } = { schema: null }] = await conn.query<{ schema: string | null }>('connecting', 'SELECT current_schema() AS schema');
  if (schema === null) {
    throw new ConfigError('PostgreSQL: no schema on the search_path exists: create it, or name one in --db-url (DATABASE_URL) with ?options=-c%20search_path%3D<schema>', { code: 'PG_SCHEMA_MISSING' });
  }
  await conn.query('connecting', `SET search_path = ${q(schema)}`);
  return schema;
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

/** Runs and rejects older than the retention leave the history; the newest success always stays. */
async function prune(conn: Connection, runId: string, retentionMs: number): Promise<void> {
  const doing = 'pruning the history';
  const cutoff = `clock_timestamp() - make_interval(secs => $2::double precision / 1000)`;
  const job = `(SELECT job FROM _ferry_runs WHERE id = $1)`;
  const lastSuccess = `SELECT id FROM _ferry_runs WHERE job = ${job} AND status = 'succeeded' AND NOT dry_run ORDER BY started_at DESC LIMIT 1`;
  await conn.query(doing, `DELETE FROM _ferry_runs WHERE job = ${job} AND status <> 'running' AND finished_at < ${cutoff} AND id IS DISTINCT FROM (${lastSuccess})`, [runId, retentionMs]);
  await conn.query(doing, `DELETE FROM _ferry_rejects WHERE job = ${job} AND last_seen < ${cutoff}`, [runId, retentionMs]);
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

function toCounts(row: Partial<Record<keyof Counts, string>> | undefined): Counts {
  const n = (key: keyof Counts) => Number(row?.[key] ?? 0);
  return { read: n('read'), inserted: n('inserted'), updated: n('updated'), unchanged: n('unchanged'), deleted: n('deleted'), rejected: n('rejected') };
}

function toRunRecord(r: Record<string, unknown>): RunRecord {
  return {
    id: String(r.id),
    job: String(r.job),
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at === null ? null : iso(r.finished_at),
    status: r.status as RunRecord['status'],
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    dryRun: r.dry_run === true,
    counts: toCounts(r as Record<keyof Counts, string>),
    error: r.error_code === null ? null : { code: String(r.error_code), message: String(r.error_message) },
  };
}
