import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { FerryError, PermanentError } from '../../errors/errors.ts';
import { parseJson } from '../../values/exact-json.ts';
import type { Counts } from '../../events/protocol.ts';
import { byTable, type Batch, type Checkpoint, type Reject, type ReplaceBatch, type RunEnd, type RunRecord, type RunStart, type Store, type StoredReject, type WriteCounts } from '../store.ts';
import { validateTables, type Row, type SqlValue, type TablesSchema } from '../tables.ts';
import { RETENTION_MS } from '../store-options.ts';
import { BOOKKEEPING_SQL, RUN_COLUMNS, upgradeBookkeeping } from './bookkeeping.ts';
import { checkDatabasePath } from './database-path.ts';
import { classifySqliteError, isBusy } from './errors.ts';
import { RunLock, type KeptEnd } from './lock.ts';
import { checkSqliteTable, columnsOf, createTableSql, q, rowidName, SQL_TYPE } from './sql.ts';
import { LastInsert, ScopeSweep, TableWriter } from './table-writer.ts';
import { UndoJournal } from './undo-journal.ts';

const noCounts = (): WriteCounts => ({ inserted: 0, updated: 0, unchanged: 0, deleted: 0 });
const now = () => new Date().toISOString();

// Rows of a replace written together, many to a statement; the rows stream in and must not pile up.
const REPLACE_CHUNK = 256;

/** The embedded store on node:sqlite: WAL, a busy timeout, and one transaction per batch. */
export class SqliteStore implements Store {
  readonly #path: string;
  readonly #db: DatabaseSync;
  #retentionMs = RETENTION_MS;
  readonly #lock = new RunLock();
  /** Whether this run wrote the ends kept in the lock file into the history. */
  #keptWritten = false;
  readonly #writers = new Map<string, TableWriter>();
  #lastInsert: LastInsert | undefined;
  #tables: TablesSchema = {};
  #dryRun = false;
  #journal: UndoJournal | undefined;
  #checkpointAtStart: { value: string; tables: string | null } | undefined;

  private constructor(path: string, db: DatabaseSync) {
    this.#path = path;
    this.#db = db;
  }

  /** Opens (creating when missing) the database file for a run; `sqlite()` does this for a job. */
  static open(path: string, options: { busyTimeoutMs?: number; retentionMs?: number } = {}): SqliteStore {
    const timeoutMs = options.busyTimeoutMs ?? 5000;
    checkDatabasePath(path);
    try {
      const db = new DatabaseSync(path, { timeout: timeoutMs });
      whileBusy(timeoutMs, () => db.exec('PRAGMA journal_mode = WAL'));
      // WAL with synchronous NORMAL: a commit is atomic and durable against a process crash;
      // only a power loss may take back the newest commits, and never leaves them half done.
      db.exec('PRAGMA synchronous = NORMAL');
      // Checkpoint the WAL into the database every ~40 MB instead of every 4 MB: fewer syncs and
      // rewrites of the same pages while batches commit one after another (~6% of a first run).
      db.exec('PRAGMA wal_autocheckpoint = 10000');
      // IMMEDIATE takes the write lock first, through the busy timeout: a CREATE that reads the
      // schema and then writes fails at once (SQLITE_BUSY) when another process wrote between.
      db.exec(`BEGIN IMMEDIATE; ${BOOKKEEPING_SQL}`);
      upgradeBookkeeping(db);
      db.exec('COMMIT');
      const store = new SqliteStore(path, db);
      store.#retentionMs = options.retentionMs ?? RETENTION_MS;
      return store;
    } catch (error) {
      throw classifySqliteError(error, 'opening the database', path);
    }
  }

  /** For `check`: no file, no history (and no file created). */
  static openForReading(path: string, options: { busyTimeoutMs?: number } = {}): SqliteStore | undefined {
    checkDatabasePath(path);
    if (path !== ':memory:' && !existsSync(path)) return undefined;
    const timeoutMs = options.busyTimeoutMs ?? 5000;
    try {
      const db = new DatabaseSync(path, { readOnly: true, timeout: timeoutMs });
      db.prepare('SELECT count(*) FROM sqlite_schema').get(); // a file that is no database says so here
      return new SqliteStore(path, db);
    } catch (error) {
      throw classifySqliteError(error, 'opening the database', path);
    }
  }

  async prepare(tables: TablesSchema): Promise<void> {
    validateTables(tables);
    this.#tables = { ...this.#tables, ...tables };
    // In a transaction of its own (under the write lock from the start, as in open()): another
    // job creating its tables in the same file must not make a CREATE fail at once with
    // SQLITE_BUSY. Inside one already (a dry run's), its tables are that one's.
    if (this.#db.isTransaction) this.#createTables(tables);
    else this.#transaction('creating the tables', () => this.#createTables(tables));
  }

  #createTables(tables: TablesSchema): void {
    for (const [name, spec] of Object.entries(tables)) {
      checkSqliteTable(name, spec, columnsOf(this.#db, name));
      this.#db.exec(createTableSql(name, spec));
      const existing = this.#db.prepare(`PRAGMA table_info(${q(name)})`).all() as { name: string; pk: number }[];
      const existingKey = existing.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      if (existingKey.join('\0') !== spec.primaryKey.join('\0')) {
        throw new PermanentError(`table ${name} has the primary key (${existingKey.join(', ')}) but the job declares (${spec.primaryKey.join(', ')}); ferry never drops data: migrate it by hand or use a new table`, { code: 'SCHEMA_MISMATCH' });
      }
      for (const [column, type] of Object.entries(spec.columns)) {
        if (!existing.some((c) => c.name.toLowerCase() === column.toLowerCase())) this.#db.exec(`ALTER TABLE ${q(name)} ADD COLUMN ${q(column)} ${SQL_TYPE[type]}`);
      }
      this.#lastInsert ??= new LastInsert(this.#db);
      const writer = new TableWriter(this.#db, name, spec, this.#lastInsert, rowidName(name, columnsOf(this.#db, name)));
      this.#writers.set(name, writer);
      this.#journal?.watch(name, spec, writer.rowid);
    }
  }

  async lock(job: string): Promise<void> {
    if (this.#path === ':memory:') return;
    this.#read('taking the run lock', () => this.#lock.acquire(RunLock.pathFor(this.#path, job), () => this.#holder(job)));
  }

  #holder(job: string): string {
    const row = this.#db.prepare(`SELECT id, started_at FROM _ferry_runs WHERE job = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`).get(job) as { id: string; started_at: string } | undefined;
    return row ? `run ${row.id} of ${job} started at ${row.started_at}` : `another run of ${job} holds the lock on ${this.#path}`;
  }

  async startRun(run: RunStart): Promise<void> {
    this.#dryRun = run.dryRun;
    // A dry run happens inside one transaction that is rolled back at the end.
    if (run.dryRun) this.#db.exec('BEGIN IMMEDIATE');
    this.#transaction('starting the run', () => {
      // Ends that earlier runs could not write here, kept in the lock file (see #keepEnd).
      for (const end of this.#lock.kept) {
        this.#db.prepare(`UPDATE _ferry_runs SET status = ?, exit_code = ?, finished_at = ?, read = ?, error_code = ?, error_message = ? WHERE id = ? AND status = 'running'`)
          .run(end.status, end.exitCode, end.finishedAt, end.read, end.errorCode, end.errorMessage, end.runId);
      }
      // We hold the lock, so a run still marked running is one whose process died; its work stands.
      this.#db.prepare(`UPDATE _ferry_runs SET status = 'failed', finished_at = ?, error_code = 'ABANDONED', error_message = 'the process ended without finishing (killed or crashed)' WHERE job = ? AND status = 'running'`).run(now(), run.job);
      this.#db.prepare(`INSERT INTO _ferry_runs (id, job, started_at, status, dry_run) VALUES (?, ?, ?, 'running', ?)`).run(run.id, run.job, now(), run.dryRun ? 1 : 0);
      this.#checkpointAtStart = this.#db.prepare('SELECT value, tables FROM _ferry_checkpoints WHERE job = ?').get(run.job) as { value: string; tables: string | null } | undefined;
      this.#journal = new UndoJournal(this.#db);
      for (const [name, writer] of this.#writers) this.#journal.watch(name, writer.spec, writer.rowid);
    });
    this.#keptWritten = !run.dryRun;
  }

  async undoRun(runId: string, job: string): Promise<void> {
    this.#transaction('taking back the run', () => {
      this.#journal?.undo();
      if (this.#checkpointAtStart === undefined) this.#db.prepare('DELETE FROM _ferry_checkpoints WHERE job = ?').run(job);
      else this.#db.prepare('UPDATE _ferry_checkpoints SET value = ?, tables = ? WHERE job = ?').run(this.#checkpointAtStart.value, this.#checkpointAtStart.tables, job);
      this.#db.prepare('UPDATE _ferry_runs SET inserted = 0, updated = 0, unchanged = 0, deleted = 0 WHERE id = ?').run(runId);
    });
  }

  async rejects(job: string, limit: number): Promise<StoredReject[]> {
    const rows = this.#read('reading the rejects', () => this.#db.prepare('SELECT * FROM _ferry_rejects WHERE job = ? ORDER BY last_seen DESC, rowid DESC LIMIT ?').all(job, limit)) as Record<string, string>[];
    return rows.map((r) => ({
      id: String(r.id), runId: String(r.run_id), source: String(r.source), position: parseJson(String(r.position)) as Record<string, unknown>,
      raw: parseJson(String(r.raw)), reason: String(r.reason), firstSeen: String(r.first_seen), lastSeen: String(r.last_seen),
    }));
  }

  async readCheckpoint(job: string): Promise<Checkpoint | undefined> {
    const row = this.#db.prepare('SELECT value, tables FROM _ferry_checkpoints WHERE job = ?').get(job) as { value: string; tables: string | null } | undefined;
    return row === undefined ? undefined : { value: parseJson(row.value), tables: JSON.parse(row.tables ?? '[]') as string[] };
  }

  async isEmpty(table: string): Promise<boolean> {
    const exists = this.#db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table);
    return exists === undefined || this.#db.prepare(`SELECT 1 FROM main.${q(table)} LIMIT 1`).get() === undefined;
  }

  async commit(runId: string, job: string, batch: Batch): Promise<WriteCounts> {
    const counts = noCounts();
    this.#transaction('writing a batch', () => {
      for (const [table, rows] of byTable(batch.writes)) this.#writer(table).writeMany(rows, counts);
      for (const reject of batch.rejects ?? []) this.#saveReject(runId, job, reject);
      for (const id of batch.resolved ?? []) this.#db.prepare('DELETE FROM _ferry_rejects WHERE id = ?').run(id);
      this.#finishBatch(runId, job, batch.checkpoint, batch.read, batch.rejected, counts);
    });
    return counts;
  }

  async replace(runId: string, job: string, batch: ReplaceBatch): Promise<WriteCounts> {
    const counts = noCounts();
    const writer = this.#writer(batch.table);
    const spec = this.#tables[batch.table];
    if (spec?.mode !== 'replace') throw new TypeError(`table ${batch.table} is not declared with mode: 'replace'`);
    await this.#transactionAsync('replacing a scope', async () => {
      const sweep = new ScopeSweep(this.#db, batch.table, spec, batch.scope);
      const write = (rows: Row[]) => {
        const keys: SqlValue[][] = [];
        writer.writeMany(rows, counts, keys);
        for (const key of keys) sweep.remember(key);
      };
      let chunk: Row[] = [];
      for await (const row of batch.rows) {
        chunk.push({ ...row, ...batch.scope });
        if (chunk.length < REPLACE_CHUNK) continue;
        write(chunk);
        chunk = [];
      }
      write(chunk);
      sweep.sweep(counts);
      this.#finishBatch(runId, job, batch.checkpoint, batch.read(), batch.rejected(), counts);
    });
    return counts;
  }

  #saveReject(runId: string, job: string, r: Reject): void {
    this.#db.prepare(
      `INSERT INTO _ferry_rejects (id, job, run_id, source, position, raw, reason, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
        `ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, source = excluded.source, position = excluded.position, reason = excluded.reason, last_seen = excluded.last_seen`,
    ).run(r.id, job, runId, r.source, JSON.stringify(r.position), JSON.stringify(r.raw ?? null), r.reason, now(), now());
  }

  #finishBatch(runId: string, job: string, checkpoint: Checkpoint | undefined, read: number, rejected: number, c: WriteCounts): void {
    if (checkpoint) {
      this.#db.prepare(`INSERT INTO _ferry_checkpoints (job, value, tables, run_id, updated_at) VALUES (?, ?, ?, ?, ?) ` +
        `ON CONFLICT (job) DO UPDATE SET value = excluded.value, tables = excluded.tables, run_id = excluded.run_id, updated_at = excluded.updated_at`)
        .run(job, JSON.stringify(checkpoint.value ?? null), JSON.stringify(checkpoint.tables), runId, now());
    }
    this.#db.prepare(`UPDATE _ferry_runs SET read = ?, rejected = ?, inserted = inserted + ?, updated = updated + ?, unchanged = unchanged + ?, deleted = deleted + ? WHERE id = ?`)
      .run(read, rejected, c.inserted, c.updated, c.unchanged, c.deleted, runId);
  }

  async finishRun(runId: string, end: RunEnd): Promise<Counts> {
    const update = `UPDATE _ferry_runs SET status = ?, exit_code = ?, finished_at = ?, read = ?, error_code = ?, error_message = ? WHERE id = ?`;
    const finishedAt = now();
    try {
      this.#transaction('recording the result', () => {
        this.#db.prepare(update).run(end.status, end.exitCode, finishedAt, end.read, end.error?.code ?? null, end.error?.message ?? null, runId);
        if (!this.#dryRun) this.#prune(runId);
        this.#journal?.forget(); // the run's work stands (or was taken back already)
      });
    } catch (error) {
      if (this.#dryRun) throw error;
      throw this.#keepEnd({ runId, status: end.status, exitCode: end.exitCode, finishedAt, read: end.read, errorCode: end.error?.code ?? null, errorMessage: end.error?.message ?? null }, error);
    }
    this.#journal?.close();
    const counts = this.#db.prepare('SELECT read, inserted, updated, unchanged, deleted, rejected FROM _ferry_runs WHERE id = ?').get(runId) as unknown as Counts;
    if (this.#dryRun && this.#db.isTransaction) this.#db.exec('ROLLBACK');
    return { ...counts };
  }

  /**
   * The database would not take the run's end (busy past the timeout, a full disk): the lock file
   * keeps it, so that the next run and `check` tell what happened instead of "killed or crashed".
   */
  #keepEnd(end: KeptEnd, error: unknown): unknown {
    try {
      this.#lock.keep(end);
    } catch {
      return error; // the disk will not take even that: the result line is all that says it
    }
    const note = 'its end is kept in the run lock file, and the next run writes it into the history';
    return error instanceof FerryError ? Object.assign(error, { message: `${error.message}; ${note}` }) : error;
  }

  /** Runs and rejects older than the retention leave the history; the newest success always stays. */
  #prune(runId: string): void {
    const cutoff = new Date(Date.now() - this.#retentionMs).toISOString();
    const job = (this.#db.prepare('SELECT job FROM _ferry_runs WHERE id = ?').get(runId) as { job: string }).job;
    const lastSuccess = `SELECT id FROM _ferry_runs WHERE job = ? AND status = 'succeeded' AND dry_run = 0 ORDER BY started_at DESC LIMIT 1`;
    this.#db.prepare(`DELETE FROM _ferry_runs WHERE job = ? AND status <> 'running' AND finished_at < ? AND id IS NOT (${lastSuccess})`).run(job, cutoff, job);
    this.#db.prepare('DELETE FROM _ferry_rejects WHERE job = ? AND last_seen < ?').run(job, cutoff);
  }

  async runs(job: string, limit: number): Promise<RunRecord[]> {
    const rows = this.#read('reading the run history', () => this.#db.prepare(`SELECT ${RUN_COLUMNS} FROM _ferry_runs WHERE job = ? AND dry_run = 0 ORDER BY started_at DESC, rowid DESC LIMIT ?`).all(job, limit));
    const kept = this.#path === ':memory:' ? [] : RunLock.keptIn(RunLock.pathFor(this.#path, job));
    return rows.map((r) => withKeptEnd(toRunRecord(r as Record<string, unknown>), kept));
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      this.#db.close();
    }
    this.#lock.release(this.#keptWritten);
  }

  #writer(table: string): TableWriter {
    const writer = this.#writers.get(table);
    if (!writer) throw new TypeError(`table ${table} is not declared in the job's tables`);
    return writer;
  }

  #read<T>(doing: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw classifySqliteError(error, doing, this.#path);
    }
  }

  /** A transaction, or inside a dry run's outer one, a savepoint. */
  #transaction(doing: string, work: () => void): void {
    this.#begin(doing);
    try {
      work();
    } catch (error) {
      this.#rollback();
      throw classifySqliteError(error, doing, this.#path);
    }
    this.#commit(doing);
  }

  async #transactionAsync(doing: string, work: () => Promise<void>): Promise<void> {
    this.#begin(doing);
    try {
      await work();
    } catch (error) {
      this.#rollback();
      throw classifySqliteError(error, doing, this.#path);
    }
    this.#commit(doing);
  }

  #begin(doing: string): void {
    try {
      this.#db.exec(this.#dryRun ? 'SAVEPOINT ferry_batch' : 'BEGIN IMMEDIATE');
      for (const writer of this.#writers.values()) writer.startBatch();
      this.#journal?.batchStarted();
      this.#lastInsert?.forget(); // after the journal's own insert
    } catch (error) {
      this.#rollback();
      throw classifySqliteError(error, doing, this.#path);
    }
  }

  #commit(doing: string): void {
    try {
      this.#journal?.batchEnding();
      this.#db.exec(this.#dryRun ? 'RELEASE ferry_batch' : 'COMMIT');
    } catch (error) {
      this.#rollback();
      throw classifySqliteError(error, doing, this.#path);
    }
  }

  #rollback(): void {
    if (!this.#db.isTransaction) return;
    this.#db.exec(this.#dryRun ? 'ROLLBACK TO ferry_batch; RELEASE ferry_batch' : 'ROLLBACK');
  }
}

/** A run still marked running whose end the lock file kept (the database would not take it) is told as it ended. */
function withKeptEnd(run: RunRecord, kept: readonly KeptEnd[]): RunRecord {
  const end = run.status === 'running' ? kept.find((k) => k.runId === run.id) : undefined;
  if (!end) return run;
  const error = end.errorCode === null ? null : { code: end.errorCode, message: end.errorMessage ?? '' };
  return { ...run, status: end.status as RunRecord['status'], exitCode: end.exitCode, finishedAt: end.finishedAt, counts: { ...run.counts, read: end.read }, error };
}

function toRunRecord(r: Record<string, unknown>): RunRecord {
  return {
    id: String(r.id),
    job: String(r.job),
    startedAt: String(r.started_at),
    finishedAt: r.finished_at === null ? null : String(r.finished_at),
    status: r.status as RunRecord['status'],
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    dryRun: r.dry_run === 1,
    counts: { read: Number(r.read), inserted: Number(r.inserted), updated: Number(r.updated), unchanged: Number(r.unchanged), deleted: Number(r.deleted), rejected: Number(r.rejected) },
    error: r.error_code === null ? null : { code: String(r.error_code), message: String(r.error_message) },
  };
}

/**
 * Runs `step` until it stops failing with SQLITE_BUSY, for up to `timeoutMs`. Switching to WAL
 * mode while another process opens the same new file can fail at once, busy timeout or not.
 */
function whileBusy(timeoutMs: number, step: () => void): void {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= end) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a short, blocking wait: open() is synchronous
    }
  }
}
