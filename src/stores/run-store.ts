import { emptyCounts, type Counts } from '../events/protocol.ts';
import { PermanentError, isFerryError } from '../errors/errors.ts';
import { parseJson } from '../values/exact-json.ts';
import { WriteAgain, type Dialect, type KeptEnd, type TableWriter, type UndoJournal } from './dialect.ts';
import { iso, RUN_COLUMNS, toCounts, toReject, toRunRecord, withKeptEnd } from './history.ts';
import { RETENTION_MS } from './store-options.ts';
import {
  byTable,
  type Batch,
  type Checkpoint,
  type Reject,
  type ReplaceBatch,
  type RunEnd,
  type RunRecord,
  type RunStart,
  type SchemaChange,
  type Store,
  type StoredReject,
  type WriteCounts,
} from './store.ts';
import { q } from './quote.ts';
import { validateTables, type ColumnType, type Row, type TableSpec, type TablesSchema } from './tables.ts';
import { stringify } from '../values/deep-json.ts';

const CHECKPOINT_SQL = 'SELECT value, tables FROM _ferry_checkpoints WHERE job = ?';
type StoredCheckpoint = { value: string; tables: string | null };
/** Where a batch leaves the run: its checkpoint, and the records read and rejected so far. */
type Progress = { checkpoint?: Checkpoint | undefined; read: number; rejected: number };

/**
 * A run's life in the database, written once over a dialect (sqlite/, postgres/): the lock, the
 * history, batches committed with their checkpoint and counts in one transaction, a dry run
 * inside one transaction rolled back at the end, and a failed guard taking back what it wrote.
 */
export class RunStore implements Store {
  readonly #d: Dialect;
  readonly #retentionMs: number;
  readonly #writers = new Map<string, TableWriter>();
  #tables: TablesSchema = {};
  #dryRun = false;
  /** A dry run's one transaction is open: every other one is a savepoint inside it. */
  #outer = false;
  #journal: UndoJournal | undefined;
  #checkpointAtStart: StoredCheckpoint | undefined;
  #keptWritten = false;

  constructor(dialect: Dialect, options: { retentionMs?: number } = {}) {
    this.#d = dialect;
    this.#retentionMs = options.retentionMs ?? RETENTION_MS;
  }

  async prepare(tables: TablesSchema): Promise<SchemaChange[]> {
    validateTables(tables);
    const changes: SchemaChange[] = [];
    for (const [name, spec] of Object.entries(tables)) {
      const writer = await this.#transaction('creating a table', {}, () => this.#define(name, spec, changes));
      this.#tables = { ...this.#tables, [name]: spec };
      this.#writers.set(name, writer);
      await this.#journal?.watch?.(name, spec, writer);
    }
    return changes;
  }

  async tableColumns(table: string): Promise<Record<string, ColumnType> | undefined> {
    const columns = await this.#d.columns(table);
    return columns.length === 0 ? undefined : Object.fromEntries(columns.map((c) => [c.name, c.type]));
  }

  /** Creates the table or grows it by the new columns; never drops data, never changes a key. */
  async #define(name: string, spec: TableSpec, changes: SchemaChange[]): Promise<TableWriter> {
    const d = this.#d;
    const before = (await d.columns(name)).map((c) => c.name);
    d.checkTable(name, spec, before);
    if (before.length === 0) await d.creating?.(name);
    const declared = Object.entries(spec.columns).map(([c, t]) =>
      spec.primaryKey.includes(c) ? `${q(c)} ${d.sqlType(t, true)} NOT NULL` : `${q(c)} ${d.sqlType(t)}`,
    );
    await d.lockSchema?.();
    const primaryKey = `PRIMARY KEY (${spec.primaryKey.map(q).join(', ')})`;
    await d.query('creating a table', `CREATE TABLE IF NOT EXISTS ${q(name)} (${declared.join(', ')}, ${primaryKey})`);
    const columns = await d.columns(name);
    const inKey = columns.filter((c) => c.key > 0).sort((a, b) => a.key - b.key);
    const key = inKey.map((c) => c.name);
    if (key.join('\0') !== spec.primaryKey.join('\0')) throw keyMismatch(name, key, spec.primaryKey);
    const generated = columns.find(
      (c) => c.generated && Object.keys(spec.columns).some((w) => d.sameColumn(c.name, w)),
    );
    if (generated !== undefined) throw generatedColumn(name, generated.name);
    const added: SchemaChange['columns'] = [];
    const created = before.length === 0;
    for (const [column, type] of Object.entries(spec.columns)) {
      const isNew = created || !columns.some((c) => d.sameColumn(c.name, column));
      if (!created && isNew)
        await d.query('growing a table', `ALTER TABLE ${q(name)} ADD COLUMN ${q(column)} ${d.sqlType(type)}`);
      if (isNew) added.push({ name: column, type, sqlType: d.sqlType(type) });
    }
    if (added.length > 0) changes.push({ table: name, change: created ? 'created' : 'altered', columns: added });
    return d.writer(name, spec);
  }

  async lock(job: string): Promise<void> {
    await this.#d.lock.acquire(job, () => this.#holder(job));
  }

  async #holder(job: string): Promise<string> {
    const sql = `SELECT id, started_at FROM _ferry_runs WHERE job = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`;
    const [row] = await this.#d
      .query<{ id: string; started_at: unknown }>('reading the run history', sql, [job])
      .catch(() => []);
    return row ? `run ${row.id} of ${job} started at ${iso(row.started_at)}` : `another run of ${job} holds the lock`;
  }

  async startRun(run: RunStart): Promise<void> {
    const d = this.#d;
    const doing = 'starting the run';
    this.#dryRun = run.dryRun;
    // A dry run happens inside one transaction that is rolled back at the end.
    if (run.dryRun) await d.query(doing, d.begin);
    this.#outer = run.dryRun;
    await this.#transaction(doing, {}, async () => {
      // Ends that earlier runs could not write here, kept elsewhere (see Dialect.recordElsewhere).
      for (const end of d.lock.kept ?? []) {
        await d.query(
          doing,
          `UPDATE _ferry_runs SET status = ?, exit_code = ?, finished_at = ?, read = ?, error_code = ?, error_message = ? WHERE id = ? AND status = 'running'`,
          [end.status, end.exitCode, end.finishedAt, end.read, end.errorCode, end.errorMessage, end.runId],
        );
      }
      // We hold the lock, so a run still marked running is one whose process died; its work stands.
      await d.query(
        doing,
        `UPDATE _ferry_runs SET status = 'failed', finished_at = ${d.now}, error_code = 'ABANDONED', ` +
          `error_message = 'the process ended without finishing (killed or crashed)' WHERE job = ? AND status = 'running'`,
        [run.job],
      );
      await d.query(
        doing,
        `INSERT INTO _ferry_runs (id, job, started_at, status, dry_run) VALUES (?, ?, ${d.now}, 'running', ${run.dryRun})`,
        [run.id, run.job],
      );
      [this.#checkpointAtStart] = await d.query<StoredCheckpoint>(doing, CHECKPOINT_SQL, [run.job]);
      // A dry run's undo is its final rollback: no journal.
      if (!run.dryRun) this.#journal = await d.openJournal();
      for (const [name, writer] of this.#writers)
        await this.#journal?.watch?.(name, this.#tables[name] as TableSpec, writer);
    });
    this.#keptWritten = !run.dryRun && (d.lock.kept?.length ?? 0) > 0;
    await d.started?.(run.dryRun);
  }

  async undoRun(runId: string, job: string): Promise<void> {
    const doing = 'taking back the run';
    await this.#transaction(doing, {}, async () => {
      await this.#journal?.undo(this.#tables);
      const start = this.#checkpointAtStart;
      const d = this.#d;
      const back = 'UPDATE _ferry_checkpoints SET value = ?, tables = ? WHERE job = ?';
      if (start) await d.query(doing, back, [start.value, start.tables, job]);
      else await d.query(doing, 'DELETE FROM _ferry_checkpoints WHERE job = ?', [job]);
      const zero = 'inserted = 0, updated = 0, unchanged = 0, deleted = 0';
      await d.query(doing, `UPDATE _ferry_runs SET ${zero} WHERE id = ?`, [runId]);
    });
  }

  async rejects(job: string, limit: number): Promise<StoredReject[]> {
    const sql = `SELECT * FROM _ferry_rejects WHERE job = ? ORDER BY last_seen DESC, ${this.#d.insertionOrder} DESC LIMIT ?`;
    return (await this.#d.query('reading the rejects', sql, [job, limit])).map(toReject);
  }

  async readCheckpoint(job: string): Promise<Checkpoint | undefined> {
    const [row] = await this.#d.query<StoredCheckpoint>('reading the checkpoint', CHECKPOINT_SQL, [job]);
    return row && { value: parseJson(row.value), tables: JSON.parse(row.tables ?? '[]') as string[] };
  }

  async isEmpty(table: string): Promise<boolean> {
    if ((await this.#d.columns(table)).length === 0) return true;
    return (await this.#d.query('reading the checkpoint', `SELECT 1 AS one FROM ${q(table)} LIMIT 1`)).length === 0;
  }

  async commit(runId: string, job: string, batch: Batch): Promise<WriteCounts> {
    try {
      return await this.#commitOnce(runId, job, batch);
    } catch (error) {
      if (!(error instanceof WriteAgain)) throw error;
      return this.#commitOnce(runId, job, batch); // rolled back; the writer now takes the slower path
    }
  }

  async #commitOnce(runId: string, job: string, batch: Batch): Promise<WriteCounts> {
    const counts: WriteCounts = emptyCounts();
    const doing = 'writing a batch';
    await this.#transaction(doing, { counts }, async () => {
      for (const [table, rows] of byTable(batch.writes))
        await this.#writer(table).write(rows, counts, { journal: this.#journal !== undefined });
      for (const reject of batch.rejects ?? []) await this.#saveReject(runId, job, reject);
      for (const id of batch.resolved ?? []) await this.#d.exec(doing, 'DELETE FROM _ferry_rejects WHERE id = ?', [id]);
      await this.#finishBatch(runId, job, batch, counts);
    });
    return counts;
  }

  async replace(runId: string, job: string, batch: ReplaceBatch): Promise<WriteCounts> {
    const counts: WriteCounts = emptyCounts();
    const writer = this.#writer(batch.table);
    const spec = this.#tables[batch.table];
    if (spec?.mode !== 'replace') throw new TypeError(`table ${batch.table} is not declared with mode: 'replace'`);
    const journal = this.#journal !== undefined;
    await this.#transaction('replacing a scope', { counts }, async () => {
      const sweep = await this.#d.scopeSweep(batch.table, spec, batch.scope);
      let chunk: Row[] = [];
      for await (const piece of batch.rows) {
        for (const row of Array.isArray(piece) ? (piece as readonly Row[]) : [piece as Row]) {
          chunk.push({ ...row, ...batch.scope });
          if (chunk.length < this.#d.replaceChunk) continue;
          await writer.write(chunk, counts, { journal, sweep });
          chunk = [];
        }
      }
      if (chunk.length > 0) await writer.write(chunk, counts, { journal, sweep });
      await sweep.sweep(counts, journal);
      const progress = { checkpoint: batch.checkpoint, read: batch.read(), rejected: batch.rejected() };
      await this.#finishBatch(runId, job, progress, counts);
    });
    return counts;
  }

  async #saveReject(runId: string, job: string, r: Reject): Promise<void> {
    const now = this.#d.now;
    await this.#d.exec(
      'saving rejects',
      `INSERT INTO _ferry_rejects (id, job, run_id, source, position, raw, reason, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ${now}, ${now}) ` +
        'ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, source = excluded.source, position = excluded.position, reason = excluded.reason, last_seen = excluded.last_seen',
      [r.id, job, runId, r.source, stringify(r.position), stringify(r.raw ?? null), r.reason],
      true,
    );
  }

  /** The batch's checkpoint and the run's counts so far, in the batch's transaction. */
  async #finishBatch(runId: string, job: string, batch: Progress, c: WriteCounts): Promise<void> {
    const { checkpoint, read, rejected } = batch;
    const d = this.#d;
    if (checkpoint) {
      await d.exec(
        'writing a batch',
        `INSERT INTO _ferry_checkpoints (job, value, tables, run_id, updated_at) VALUES (?, ?, ?, ?, ${d.now}) ` +
          'ON CONFLICT (job) DO UPDATE SET value = excluded.value, tables = excluded.tables, run_id = excluded.run_id, updated_at = excluded.updated_at',
        [job, JSON.stringify(checkpoint.value ?? null), JSON.stringify(checkpoint.tables), runId],
        true,
      );
    }
    await d.exec(
      'writing a batch',
      'UPDATE _ferry_runs SET read = ?, rejected = ?, inserted = inserted + ?, updated = updated + ?, unchanged = unchanged + ?, deleted = deleted + ? WHERE id = ?',
      [read, rejected, c.inserted, c.updated, c.unchanged, c.deleted, runId],
      true,
    );
  }

  async finishRun(runId: string, end: RunEnd): Promise<Counts> {
    const kept: KeptEnd = {
      runId,
      status: end.status,
      exitCode: end.exitCode,
      finishedAt: new Date().toISOString(),
      read: end.read,
      errorCode: end.error?.code ?? null,
      errorMessage: end.error?.message ?? null,
    };
    let counts: Counts;
    try {
      counts = await this.#record(this.#d, kept);
    } catch (error) {
      if (this.#dryRun) throw error;
      const elsewhere = await this.#d.recordElsewhere?.(kept, error, (d) => this.#record(d, kept));
      if (typeof elsewhere !== 'string' && elsewhere !== undefined) return elsewhere;
      if (elsewhere === undefined || !isFerryError(error)) throw error;
      throw Object.assign(error, { message: `${error.message}; ${elsewhere}` });
    }
    await this.#journal?.close?.();
    if (this.#outer) await this.#d.query('recording the result', 'ROLLBACK');
    this.#outer = false;
    return counts;
  }

  /** Records the end, prunes the history and reads the run's counts back, in one transaction of `d`. */
  async #record(d: Dialect, end: KeptEnd): Promise<Counts> {
    const doing = 'recording the result';
    return this.#transaction(doing, { d }, async () => {
      await d.ending?.(this.#dryRun);
      await d.query(
        doing,
        `UPDATE _ferry_runs SET status = ?, exit_code = ?, finished_at = ${d.now}, read = ?, error_code = ?, error_message = ? WHERE id = ?`,
        [end.status, end.exitCode, end.read, end.errorCode, end.errorMessage, end.runId],
      );
      if (!this.#dryRun) await this.#prune(d, end.runId);
      if (d === this.#d) await this.#journal?.forget(); // the run's work stands (or was taken back already)
      const counts = 'SELECT read, inserted, updated, unchanged, deleted, rejected FROM _ferry_runs WHERE id = ?';
      return toCounts((await d.query(doing, counts, [end.runId]))[0]);
    });
  }

  /**
   * Runs and rejects older than the retention leave the history; the newest success always stays,
   * and so does this run's own rejects, however long it ran (their raw records are kept nowhere else).
   */
  async #prune(d: Dialect, runId: string): Promise<void> {
    const doing = 'pruning the history';
    const cutoff = new Date(Date.now() - this.#retentionMs).toISOString();
    const [run] = await d.query<{ job: string }>(doing, 'SELECT job FROM _ferry_runs WHERE id = ?', [runId]);
    if (!run) return;
    const lastSuccess = `SELECT id FROM _ferry_runs WHERE job = ? AND status = 'succeeded' AND dry_run = false ORDER BY started_at DESC LIMIT 1`;
    await d.query(
      doing,
      `DELETE FROM _ferry_runs WHERE job = ? AND status <> 'running' AND finished_at < ? AND id NOT IN (${lastSuccess})`,
      [run.job, cutoff, run.job],
    );
    await d.query(doing, 'DELETE FROM _ferry_rejects WHERE job = ? AND last_seen < ? AND run_id <> ?', [
      run.job,
      cutoff,
      runId,
    ]);
  }

  async runs(job: string, limit: number): Promise<RunRecord[]> {
    const sql = `SELECT ${RUN_COLUMNS} FROM _ferry_runs WHERE job = ? AND dry_run = false ORDER BY started_at DESC, id DESC LIMIT ?`;
    const rows = await this.#d.query('reading the run history', sql, [job, limit]);
    const kept = this.#d.lock.keptFor?.(job) ?? [];
    return rows.map((r) => withKeptEnd(toRunRecord(r), kept));
  }

  async close(): Promise<void> {
    await this.#d.close();
    await this.#d.lock.release?.(this.#keptWritten);
  }

  #writer(table: string): TableWriter {
    const writer = this.#writers.get(table);
    if (!writer) throw new TypeError(`table ${table} is not declared in the job's tables`);
    return writer;
  }

  /** A transaction, or inside a dry run's outer one, a savepoint; the journal notes what it writes. */
  async #transaction<T>(doing: string, on: { counts?: WriteCounts; d?: Dialect }, work: () => Promise<T>): Promise<T> {
    const { counts, d = this.#d } = on;
    // Only the run's own session has writers, a journal, and a dry run's outer transaction.
    const writers = d === this.#d ? [...this.#writers.values()] : [];
    const nested = d === this.#d && this.#outer;
    const journal = d === this.#d ? this.#journal : undefined;
    let result: T;
    try {
      await d.exec(doing, nested ? 'SAVEPOINT ferry_batch' : d.begin);
      await journal?.batchStarted?.();
      // After the journal's own notes: a writer counts inserts by the connection's last insert.
      for (const writer of writers) writer.began?.();
      result = await work();
      await journal?.batchEnding(counts);
      await d.query(doing, nested ? 'RELEASE ferry_batch' : 'COMMIT');
    } catch (error) {
      if (!d.lost) await rollback(d, doing, nested);
      for (const writer of writers) writer.rolledBack?.();
      throw d.classify?.(error, doing) ?? error;
    }
    if (!nested) for (const writer of writers) writer.committed?.();
    return result;
  }
}

/** The table there is keyed otherwise than the job declares (or not at all: a view, a table made without a key). */
function keyMismatch(name: string, key: readonly string[], declared: readonly string[]): PermanentError {
  const wanted = `(${declared.join(', ')})`;
  const has =
    key.length === 0
      ? `has no primary key (a view, or a table made without one), but the job upserts by ${wanted}; if it is a table whose ${wanted} is unique, add the key to it (PostgreSQL: ALTER TABLE ${name} ADD PRIMARY KEY ${wanted}), or`
      : `has the primary key (${key.join(', ')}) but the job declares ${wanted}; ferry never drops data: migrate it by hand, or`;
  return new PermanentError(`table ${name} ${has} import into a new table`, { code: 'SCHEMA_MISMATCH' });
}

/** A column the database computes: the job would write it. */
function generatedColumn(name: string, column: string): PermanentError {
  const message = `table ${name}: column ${column} is GENERATED ALWAYS (computed, or numbered by the database), and nothing may write it, but the job writes it; leave it out of the file (or the records), import into a new table, or, for an identity column, let it take values: ALTER TABLE ${name} ALTER COLUMN ${column} SET GENERATED BY DEFAULT`;
  return new PermanentError(message, { code: 'COLUMN_GENERATED' });
}

async function rollback(d: Dialect, doing: string, nested: boolean): Promise<void> {
  try {
    for (const sql of nested ? ['ROLLBACK TO ferry_batch', 'RELEASE ferry_batch'] : ['ROLLBACK'])
      await d.query(doing, sql);
  } catch {
    // nothing open to roll back (it failed at BEGIN), or the connection went: the server drops it
  }
}
