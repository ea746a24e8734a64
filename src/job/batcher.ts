import type { Counts } from '../events/protocol.ts';
import { parseJson } from '../values/exact-json.ts';
import type { Checkpoint, Reject, ReplaceRows, SchemaChange, Store, WriteCounts } from '../stores/store.ts';
import type { ColumnType, Row, TableSpec } from '../stores/tables.ts';

/**
 * Buffers a run's writes and commits them in batches, each with the newest checkpoint.
 * A checkpoint set after some writes is only ever committed with (or after) those writes,
 * so after a crash the checkpoint never claims more than the data holds.
 *
 * A full batch commits behind the job: while a server store (PostgreSQL) commits it, the job
 * reads the next one. At most one batch is in flight; batches commit in order, and a failed
 * commit surfaces at the job's next write or flush.
 */
export class Batcher {
  readonly #store: Store;
  readonly #runId: string;
  readonly #job: string;
  readonly #size: number;
  readonly #counts: Counts;
  #pending: { table: string; rows: Row[] }[] = [];
  /** Rows in #pending. */
  #queued = 0;
  #rejects: Reject[] = [];
  #resolved: string[] = [];
  #checkpoint: Checkpoint | undefined;
  /** The tables the checkpoint vouches for: those of the checkpoint read at the start, and those written since. */
  readonly #covered: Set<string>;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(
    store: Store,
    run: { runId: string; job: string; batchSize: number; counts: Counts; covered: readonly string[] },
  ) {
    this.#covered = new Set(run.covered);
    this.#store = store;
    this.#runId = run.runId;
    this.#job = run.job;
    this.#size = run.batchSize;
    this.#counts = run.counts;
  }

  /**
   * Queues rows; every --batch-size rows commit together, so a batch ends at the same row however
   * they come. Undefined when nothing had to wait: most writes only queue, and a record at a
   * time, a promise each would cost more than queueing it.
   */
  write(table: string, rows: Row | readonly Row[], from = 0): Promise<void> | undefined {
    this.#covered.add(table);
    const list = Array.isArray(rows) ? (rows as readonly Row[]) : [rows as Row];
    let last = this.#pending.at(-1);
    for (let i = from; i < list.length; i++) {
      if (last?.table !== table) this.#pending.push((last = { table, rows: [] }));
      last.rows.push(list[i] as Row); // into an array of ours: the caller may reuse its own
      if (++this.#queued >= this.#size) return this.#commitAndGoOn(table, list, i + 1);
    }
    return undefined;
  }

  async #commitAndGoOn(table: string, rows: readonly Row[], from: number): Promise<void> {
    await this.#commitBehind();
    // node:sqlite is synchronous: without a turn of the event loop, a run that reads from
    // memory would never see SIGTERM (or a host's abort) until it ended.
    await new Promise((resolve) => setImmediate(resolve));
    if (from < rows.length) await this.write(table, rows, from);
  }

  /** Queues a reject; it commits with the next batch. */
  reject(reject: Reject): void {
    this.#rejects.push(reject);
  }

  /** Queues the removal of a reject that a replay has now written. */
  resolve(rejectId: string): void {
    this.#resolved.push(rejectId);
  }

  async defineTable(name: string, spec: TableSpec): Promise<SchemaChange[]> {
    await this.flush(); // rows queued for an older shape of the table go first
    return this.#store.prepare({ [name]: spec });
  }

  tableColumns(name: string): Promise<Record<string, ColumnType> | undefined> {
    return this.#store.tableColumns(name);
  }

  setCheckpoint(value: unknown): void {
    // A copy as the store will keep it (JSON), exact numbers included; a value JSON cannot hold fails here.
    this.#checkpoint = { value: parseJson(JSON.stringify(value) ?? 'null'), tables: [] };
  }

  /** Commits everything queued and waits until it is committed. */
  async flush(): Promise<void> {
    await this.#commitBehind();
    await this.#inFlight;
  }

  /** Waits for the batch in flight, if any, whatever its outcome: nothing may share its transaction. */
  async settle(): Promise<void> {
    await this.#inFlight.catch(() => undefined);
  }

  async #commitBehind(): Promise<void> {
    await this.#inFlight;
    if (this.#pending.length === 0 && this.#rejects.length === 0 && this.#resolved.length === 0 && !this.#checkpoint)
      return;
    const batch = {
      writes: this.#pending,
      rejects: this.#rejects,
      resolved: this.#resolved,
      read: this.#counts.read,
      rejected: this.#counts.rejected,
    };
    const checkpoint = this.#withTables(this.#checkpoint);
    this.discard();
    this.#inFlight = this.#store
      .commit(this.#runId, this.#job, { ...batch, ...(checkpoint ? { checkpoint } : {}) })
      .then((c) => this.#add(c));
    this.#inFlight.catch(() => undefined); // not unhandled: the next write, flush or settle takes it
  }

  /** Replaces one scope's rows in one transaction, after committing what is pending. */
  async replace(table: string, scope: Row, rows: ReplaceRows): Promise<void> {
    await this.flush();
    this.#covered.add(table);
    const checkpoint = this.#withTables(this.#checkpoint);
    this.#checkpoint = undefined;
    const counts = this.#counts;
    const done = await this.#store.replace(this.#runId, this.#job, {
      table,
      scope,
      rows,
      read: () => counts.read,
      rejected: () => counts.rejected,
      ...(checkpoint ? { checkpoint } : {}),
    });
    this.#add(done);
  }

  /** Drops queued rows and checkpoint but commits the queued rejects: a failed guard still shows why. */
  async keepOnlyRejects(): Promise<void> {
    this.#pending = [];
    this.#queued = 0;
    this.#checkpoint = undefined;
    await this.flush();
  }

  /** Drops what was not committed: a failed or cancelled run keeps only whole batches. */
  discard(): void {
    this.#pending = [];
    this.#queued = 0;
    this.#rejects = [];
    this.#resolved = [];
    this.#checkpoint = undefined;
  }

  #withTables(checkpoint: Checkpoint | undefined): Checkpoint | undefined {
    return checkpoint && { value: checkpoint.value, tables: [...this.#covered].sort() };
  }

  #add(c: WriteCounts): void {
    this.#counts.inserted += c.inserted;
    this.#counts.updated += c.updated;
    this.#counts.unchanged += c.unchanged;
    this.#counts.deleted += c.deleted;
  }
}
