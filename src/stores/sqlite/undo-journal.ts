import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TableWriter as Writer, UndoJournal as Journal } from '../dialect.ts';
import { literal, onConflictUpdate, q } from '../quote.ts';
import type { TableSpec } from '../tables.ts';
import { NEW_ROWS, noteNewRows } from './key-rowids.ts';
import { columnsOf } from './sql.ts';
import type { TableWriter } from './table-writer.ts';

const INSERTED = 'temp._ferry_inserted';
const shadowOf = (name: string) => `temp.${q(`_ferry_undo_${name}`)}`;
const triggerOf = (name: string, event: string) => q(`_ferry_undo_${event}_${name}`);

interface Watched {
  spec: TableSpec;
  /** The name that reaches the table's rowid (a user column may take `rowid` itself). */
  rowid: string;
  /** The key is the rowid: the rows the run inserted are noted one by one (see KeyRowids), not in ranges. */
  keyed: boolean;
  /** Run in every transaction: opens, and closes, the range of rowids it inserts. */
  open: StatementSync;
  close: StatementSync;
}

/**
 * Lets a run that fails a guard (--max-rejects, --min-records) take back everything it
 * committed, and nothing else. Each batch notes the range of rowids it inserts into each table;
 * a row the run updates or deletes that it did not insert is copied, as it was, into a shadow
 * of its table by temporary triggers. Inserts, the bulk of an import, cost one note per table
 * and batch (a table whose key is its rowid: a note per inserted row). All of it lives in the connection's temp schema, inside the batches' own
 * transactions: a batch rolled back notes nothing, and a killed run's work simply stands.
 */
export class UndoJournal implements Journal {
  readonly #db: DatabaseSync;
  readonly #tables = new Map<string, Watched>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS _ferry_inserted (tbl TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER)`);
    db.exec(`DELETE FROM ${INSERTED}`);
    noteNewRows(db);
  }

  /** Watches a table from now on: again after it grew, so that the copies name its new columns. */
  async watch(name: string, spec: TableSpec, writer: Writer): Promise<void> {
    const { rowid, keyRowids } = writer as TableWriter;
    const keyed = keyRowids !== undefined;
    const highest = `SELECT coalesce(max(${rowid}), 0) FROM main.${q(name)}`;
    this.#tables.set(name, {
      spec,
      rowid,
      keyed,
      open: this.#db.prepare(`INSERT INTO ${INSERTED} (tbl, lo) SELECT ${literal(name)}, (${highest}) + 1`),
      close: this.#db.prepare(`UPDATE ${INSERTED} SET hi = (${highest}) WHERE tbl = ${literal(name)} AND hi IS NULL`),
    });
    const columns = columnsOf(this.#db, name);
    this.#db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${shadowOf(name)} AS SELECT * FROM main.${q(name)} WHERE 0`);
    const shadowColumns = columnsOf(this.#db, `_ferry_undo_${name}`, 'temp');
    for (const column of columns) {
      if (!shadowColumns.includes(column)) this.#db.exec(`ALTER TABLE ${shadowOf(name)} ADD COLUMN ${q(column)}`);
    }
    const inRange = `EXISTS (SELECT 1 FROM ${INSERTED} r WHERE r.tbl = ${literal(name)} AND old.${rowid} >= r.lo AND (r.hi IS NULL OR old.${rowid} <= r.hi))`;
    const noted = `EXISTS (SELECT 1 FROM ${NEW_ROWS} n WHERE n.tbl = ${literal(name)} AND n.rid = old.${rowid})`;
    const ours = keyed ? `(${inRange} OR ${noted})` : inRange;
    const copy = `INSERT INTO ${shadowOf(name)} (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => `old.${q(c)}`).join(', ')})`;
    for (const event of ['UPDATE', 'DELETE']) {
      this.#db.exec(`DROP TRIGGER IF EXISTS temp.${triggerOf(name, event)}`);
      this.#db.exec(
        `CREATE TEMP TRIGGER ${triggerOf(name, event)} BEFORE ${event} ON main.${q(name)} WHEN NOT ${ours} BEGIN ${copy}; END`,
      );
    }
  }

  /** At the start of a batch's transaction: rows past each table's highest rowid are the batch's own. */
  async batchStarted(): Promise<void> {
    for (const { open } of this.#tables.values()) open.run();
  }

  /** Before the batch commits: closes its ranges at the highest rowid each table has now. */
  async batchEnding(): Promise<void> {
    for (const { close } of this.#tables.values()) close.run();
    this.#db.exec(`DELETE FROM ${INSERTED} WHERE hi < lo`);
  }

  /** Puts every table back as it was when the run started. Call inside a transaction. */
  async undo(): Promise<void> {
    this.#dropTriggers();
    for (const [name, { spec, rowid, keyed }] of this.#tables) {
      const inserted = `SELECT 1 FROM ${INSERTED} r WHERE r.tbl = ? AND t.${rowid} BETWEEN r.lo AND r.hi`;
      this.#db.prepare(`DELETE FROM main.${q(name)} AS t WHERE EXISTS (${inserted})`).run(name);
      const noted = `SELECT rid FROM ${NEW_ROWS} WHERE tbl = ?`;
      if (keyed) this.#db.prepare(`DELETE FROM main.${q(name)} WHERE ${rowid} IN (${noted})`).run(name);
      // The copies hold generated columns too (SELECT * made them); the table computes those again.
      const writable = new Set(columnsOf(this.#db, name));
      const columns = columnsOf(this.#db, `_ferry_undo_${name}`, 'temp')
        .filter((c) => writable.has(c))
        .map(q);
      const key = spec.primaryKey.map(q);
      const values = columns.filter((c) => !key.includes(c));
      // Newest copy first, so the oldest lands last: a row changed twice ends as it was before the run.
      this.#db.exec(
        `INSERT INTO main.${q(name)} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${shadowOf(name)} ORDER BY ${rowid} DESC ${onConflictUpdate(key, values)}`,
      );
    }
    await this.forget();
  }

  /** The run's work stands (or was taken back): nothing to keep. */
  async forget(): Promise<void> {
    this.#db.exec(`DELETE FROM ${INSERTED}`);
    this.#db.exec(`DELETE FROM ${NEW_ROWS}`);
    for (const name of this.#tables.keys()) this.#db.exec(`DELETE FROM ${shadowOf(name)}`);
  }

  async close(): Promise<void> {
    this.#dropTriggers();
  }

  #dropTriggers(): void {
    for (const name of this.#tables.keys()) {
      for (const event of ['UPDATE', 'DELETE']) this.#db.exec(`DROP TRIGGER IF EXISTS temp.${triggerOf(name, event)}`);
    }
  }
}
