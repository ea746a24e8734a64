import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ScopeSweep as Sweep, TableWriter as Writer } from '../dialect.ts';
import { q } from '../quote.ts';
import { toParams, toSql, type Row, type SqlValue, type TableSpec } from '../tables.ts';
import type { WriteCounts } from '../store.ts';
import type { KeyRowids } from './key-rowids.ts';
import { placeholders, upsertSql } from './sql.ts';

/**
 * last_insert_rowid() belongs to the connection: before a table's writes follow another
 * table's (or ferry's own) inserts, it is set to 0 so that only this table's inserts show.
 */
export class LastInsert {
  readonly #reset: StatementSync;
  #owner: unknown;

  constructor(db: DatabaseSync) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS _ferry_last_insert (x)');
    this.#reset = db.prepare('INSERT OR REPLACE INTO temp._ferry_last_insert (rowid, x) VALUES (0, 0)');
  }

  claim(owner: unknown): void {
    if (this.#owner === owner) return;
    this.#reset.run();
    this.#owner = owner;
  }

  /** Someone else may have inserted (a new transaction, ferry's bookkeeping). */
  forget(): void {
    this.#owner = undefined;
  }
}

// Rows per multi-row upsert: one call into SQLite for many rows (less CPU; bench/RESULTS.md),
// within SQLite's 32766 parameters.
const ROWS_PER_STATEMENT = 64;
const MAX_PARAMETERS = 32766;
// Keys a replace remembers per statement: one call into SQLite for thousands of them.
const KEYS_PER_STATEMENT = 4096;

/** The prepared upsert of one table, and how a row lands: inserted, updated or unchanged. */
export class TableWriter implements Writer {
  readonly #name: string;
  readonly spec: TableSpec;
  readonly #upsert: StatementSync;
  readonly #upsertMany: StatementSync;
  readonly #width: number;
  readonly #perStatement: number;
  readonly #highest: StatementSync;
  readonly #keyAt: number[];
  readonly #last: LastInsert;
  /** The name that reaches the table's rowid (see rowidName). */
  readonly rowid: string;
  /** Set when the table's key is its rowid: its inserts are counted by a trigger instead. */
  readonly keyRowids: KeyRowids | undefined;
  #maxRowid = 0;

  constructor(db: DatabaseSync, name: string, spec: TableSpec, last: LastInsert, rowid: string, keyRowids?: KeyRowids) {
    this.#last = last;
    this.rowid = rowid;
    this.keyRowids = keyRowids;
    this.#name = name;
    this.spec = spec;
    this.#upsert = db.prepare(upsertSql(name, spec));
    this.#width = Object.keys(spec.columns).length;
    this.#perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / this.#width)));
    this.#upsertMany = db.prepare(upsertSql(name, spec, this.#perStatement));
    this.#highest = db.prepare(`SELECT coalesce(max(${rowid}), 0) AS m FROM ${q(name)}`);
    this.#keyAt = spec.primaryKey.map((c) => Object.keys(spec.columns).indexOf(c));
  }

  /** At the start of each transaction: rows past this rowid are the ones it inserts. */
  began(): void {
    this.#maxRowid = Number((this.#highest.get() as { m: number | bigint }).m);
    this.#last.forget(); // the transaction's own bookkeeping inserts moved the connection's last insert
  }

  /**
   * Writes rows in order, most of them ROWS_PER_STATEMENT to a statement. Rows repeating a key
   * within one statement land in order, the last one winning, as they would one by one. A sweep
   * that wants them is told each row's key.
   */
  async write(rows: readonly Row[], counts: WriteCounts, options: { sweep?: Sweep }): Promise<void> {
    const keys = options.sweep instanceof ScopeSweep ? options.sweep : undefined;
    const [n, width] = [this.#perStatement, this.#width];
    let i = 0;
    for (; n > 1 && i + n <= rows.length; i += n) {
      const params = new Array<SqlValue>(n * width);
      for (let j = 0; j < n; j++) {
        toParams(this.#name, this.spec, rows[i + j] as Row, params, j * width);
        keys?.remember(this.#keyOf(params, j * width));
      }
      this.#run(this.#upsertMany, params, n, counts);
    }
    for (; i < rows.length; i++) {
      const params = toParams(this.#name, this.spec, rows[i] as Row);
      this.#run(this.#upsert, params, 1, counts);
      keys?.remember(this.#keyOf(params));
    }
  }

  /**
   * Runs an upsert of `rows` rows and counts how they landed. New rows take rowids one past the
   * highest, in turn, so the statement inserted (last_insert_rowid − highest before) rows; with no
   * insert, last_insert_rowid stays at this table's previous insert (or the 0 of LastInsert), not
   * past it. The other changes are updates; the rows that changed nothing were unchanged.
   */
  #run(statement: StatementSync, params: SqlValue[], rows: number, counts: WriteCounts): void {
    if (this.keyRowids) return this.#runKeyed(this.keyRowids, statement, params, rows, counts);
    this.#last.claim(this);
    const { changes, lastInsertRowid } = statement.run(...params);
    const inserted = Math.max(0, Number(lastInsertRowid) - this.#maxRowid);
    counts.inserted += inserted;
    counts.updated += Number(changes) - inserted;
    counts.unchanged += rows - Number(changes);
    if (inserted > 0) this.#maxRowid = Number(lastInsertRowid);
  }

  /** The same where the key is the rowid: a new row's rowid is its key, so the trigger's notes count the inserts. */
  #runKeyed(keyed: KeyRowids, statement: StatementSync, params: SqlValue[], rows: number, counts: WriteCounts): void {
    const before = keyed.inserted();
    const changes = Number(statement.run(...params).changes);
    const inserted = keyed.inserted() - before;
    counts.inserted += inserted;
    counts.updated += changes - inserted;
    counts.unchanged += rows - changes;
  }

  #keyOf(params: SqlValue[], at = 0): SqlValue[] {
    return this.#keyAt.map((i) => params[at + i] ?? null);
  }
}

/** Remembers the keys a replace brought, then deletes the scope's rows it did not bring. */
export class ScopeSweep implements Sweep {
  readonly #db: DatabaseSync;
  readonly #seen: string;
  readonly #width: number;
  readonly #perStatement: number;
  readonly #scope: SqlValue[];
  readonly #rememberOne: StatementSync;
  readonly #rememberMany: StatementSync;
  readonly #deleteUnseen: StatementSync;
  #pending: SqlValue[] = [];

  /** A scope that holds no row has nothing to sweep: its keys are not even kept. */
  static start(db: DatabaseSync, name: string, spec: TableSpec, scope: Row): Sweep {
    const inScope = (spec.scope ?? []).map((c) => `${q(c)} IS ?`).join(' AND ') || '1';
    const values = (spec.scope ?? []).map((c) => toSql(scope[c], spec.columns[c] ?? 'text'));
    const held = db.prepare(`SELECT 1 FROM ${q(name)} WHERE ${inScope} LIMIT 1`).get(...values);
    return held === undefined ? { sweep: async () => {} } : new ScopeSweep(db, name, spec, values, inScope);
  }

  private constructor(db: DatabaseSync, name: string, spec: TableSpec, scope: SqlValue[], inScope: string) {
    const key = spec.primaryKey.map(q);
    this.#db = db;
    this.#seen = q(`_ferry_seen_${name}`);
    this.#width = key.length;
    this.#perStatement = Math.min(KEYS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / key.length));
    this.#scope = scope;
    db.exec(`DROP TABLE IF EXISTS temp.${this.#seen}`);
    // WITHOUT ROWID: remembering a key must not move last_insert_rowid (see LastInsert).
    db.exec(`CREATE TEMP TABLE ${this.#seen} (${key.join(', ')}, PRIMARY KEY (${key.join(', ')})) WITHOUT ROWID`);
    const insert = (rows: number) =>
      db.prepare(`INSERT OR IGNORE INTO temp.${this.#seen} VALUES ${placeholders(rows, key.length)}`);
    this.#rememberOne = insert(1);
    this.#rememberMany = insert(this.#perStatement);
    const notSeen = `NOT EXISTS (SELECT 1 FROM temp.${this.#seen} s WHERE ${key.map((k) => `s.${k} IS t.${k}`).join(' AND ')})`;
    this.#deleteUnseen = db.prepare(`DELETE FROM ${q(name)} AS t WHERE ${inScope} AND ${notSeen}`);
  }

  remember(key: SqlValue[]): void {
    for (const value of key) this.#pending.push(value);
    if (this.#pending.length < this.#perStatement * this.#width) return;
    this.#rememberMany.run(...this.#pending);
    this.#pending = [];
  }

  async sweep(counts: WriteCounts): Promise<void> {
    for (let i = 0; i < this.#pending.length; i += this.#width)
      this.#rememberOne.run(...this.#pending.slice(i, i + this.#width));
    this.#pending = [];
    counts.deleted += Number(this.#deleteUnseen.run(...this.#scope).changes);
    this.#db.exec(`DROP TABLE temp.${this.#seen}`);
  }
}
