import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { literal, q } from '../quote.ts';

/** The rowids a run inserted into tables whose key is their rowid, by table. */
export const NEW_ROWS = 'temp._ferry_new_rows';
const NEW_COUNT = 'temp._ferry_new_count';
const triggerOf = (name: string) => q(`_ferry_new_${name}`);

/** Creates the connection's notes of inserted rowids, if they are not there yet. */
export function noteNewRows(db: DatabaseSync): void {
  // WITHOUT ROWID: a note must not move last_insert_rowid (see LastInsert).
  db.exec(
    `CREATE TEMP TABLE IF NOT EXISTS _ferry_new_rows (tbl TEXT, rid INTEGER, PRIMARY KEY (tbl, rid)) WITHOUT ROWID`,
  );
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS _ferry_new_count (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID`);
}

/**
 * Counts and notes the rows inserted into a table whose one-column INTEGER PRIMARY KEY is its
 * rowid (made by the sqlite3 shell or an app's migrations, not by ferry). There a new row's rowid
 * is its key, anywhere below the highest, so "rowids past the highest" cannot tell the inserts:
 * a temporary trigger, which fires for an inserted row and not for an upsert's update, notes
 * each one instead. The notes live in the connection's temp schema, inside the batches' own
 * transactions, so a batch rolled back notes nothing; the undo journal takes the noted rows back.
 */
export class KeyRowids {
  readonly #count: StatementSync;

  constructor(db: DatabaseSync, table: string) {
    noteNewRows(db);
    const name = literal(table);
    db.exec(`DROP TRIGGER IF EXISTS temp.${triggerOf(table)}`);
    db.exec(
      `CREATE TEMP TRIGGER ${triggerOf(table)} AFTER INSERT ON main.${q(table)} BEGIN ` +
        `INSERT OR IGNORE INTO ${NEW_ROWS} (tbl, rid) VALUES (${name}, new.rowid); ` +
        `INSERT INTO ${NEW_COUNT} (tbl, n) VALUES (${name}, 1) ON CONFLICT (tbl) DO UPDATE SET n = n + 1; END`,
    );
    this.#count = db.prepare(`SELECT coalesce((SELECT n FROM ${NEW_COUNT} WHERE tbl = ${name}), 0) AS n`);
  }

  /** Rows inserted into the table so far, by this connection, in what has not been rolled back. */
  inserted(): number {
    return Number((this.#count.get() as { n: number | bigint }).n);
  }
}
