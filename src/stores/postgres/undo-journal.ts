import type { UndoJournal as Journal } from '../dialect.ts';
import { literal, onConflictUpdate, q } from '../quote.ts';
import type { WriteCounts } from '../store.ts';
import type { TablesSchema } from '../tables.ts';
import type { Connection } from './connection.ts';

const doing = 'taking back the run';

/**
 * Lets a run that fails a guard (--max-rejects, --min-records) take back everything it committed.
 *
 * PostgreSQL has no rowid, but every row version carries the transaction that wrote it (xmin).
 * Each batch notes its transaction id in the journal, so the rows the run inserted or last
 * updated are those whose xmin is one of the run's. A row it updates or deletes is copied as it
 * was, with the xmin of that version: by the upsert itself (journalCall in its SET clause, which
 * runs only for a row that really changes) and by the replace's DELETE … RETURNING. Inserts,
 * the bulk of an import, cost one journal row per batch, and there is nothing to set up per table.
 *
 * The journal is a temporary table and function of the run's own session: only that session
 * ever takes the run back, and when it ends (the run is over, however it ended) they go with it.
 * Nothing is added to the user's schema and no other writer pays for it.
 */
export class UndoJournal implements Journal {
  static readonly table = 'pg_temp._ferry_undo';

  readonly #conn: Connection;

  private constructor(conn: Connection) {
    this.#conn = conn;
  }

  /** Creates the session's journal; call inside a transaction that commits. */
  static async open(conn: Connection): Promise<UndoJournal> {
    await conn.query(
      'starting the run',
      `DROP TABLE IF EXISTS pg_temp._ferry_undo; CREATE TEMP TABLE _ferry_undo (seq BIGINT GENERATED ALWAYS AS IDENTITY, xid BIGINT, tbl TEXT, old_xmin BIGINT, row JSONB)`,
    );
    await conn.query(
      'starting the run',
      `CREATE OR REPLACE FUNCTION pg_temp._ferry_journal(value anyelement, tbl TEXT, old_xmin XID, old JSONB) RETURNS anyelement LANGUAGE plpgsql VOLATILE AS $$ ` +
        `BEGIN INSERT INTO pg_temp._ferry_undo (tbl, old_xmin, row) VALUES (tbl, old_xmin::text::bigint, old); RETURN value; END $$`,
    );
    return new UndoJournal(conn);
  }

  /** Notes the batch's transaction as one the run wrote in, when it wrote anything. */
  async batchEnding(counts: WriteCounts | undefined): Promise<void> {
    if (!counts || counts.inserted + counts.updated + counts.deleted === 0) return;
    this.#conn.hold(`INSERT INTO ${UndoJournal.table} (xid) SELECT txid_current() % 4294967296`);
  }

  /** The value an upsert's SET clause gives `column`, copying the row first (`t` is the row as it is). */
  static journalCall(table: string, column: string): string {
    return `pg_temp._ferry_journal(excluded.${column}, ${literal(table)}, t.xmin, to_jsonb(t.*))`;
  }

  /**
   * Puts the tables back as they were before the run: deletes every row version the run wrote,
   * then puts back, per key, the oldest copy, unless that copy is itself a version the run wrote
   * (a row it inserted, then changed). Call inside a transaction.
   */
  async undo(tables: TablesSchema): Promise<void> {
    const ours = `SELECT xid FROM ${UndoJournal.table} WHERE tbl IS NULL`;
    for (const [name, spec] of Object.entries(tables)) {
      const table = q(name);
      await this.#conn.query(doing, `DELETE FROM ${table} WHERE xmin::text::bigint IN (${ours})`);
      const columns = await this.#conn.query<{ name: string; always: boolean }>(
        doing,
        // A generated column is computed again; an identity column takes back its value (OVERRIDING
        // below), which an update may not give one GENERATED ALWAYS.
        "SELECT attname AS name, attidentity = 'a' AS always FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
        [table],
      );
      const key = spec.primaryKey.map((c) => `u.row -> ${literal(c)}`).join(', ');
      const values = columns.filter((c) => !spec.primaryKey.includes(c.name) && !c.always).map((c) => q(c.name));
      const all = columns.map((c) => q(c.name));
      await this.#conn.query(
        doing,
        `INSERT INTO ${table} (${all.join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${all.map((c) => `r.${c}`).join(', ')} FROM (SELECT DISTINCT ON (${key}) u.row, u.old_xmin FROM ${UndoJournal.table} u WHERE u.tbl = $1 ORDER BY ${key}, u.seq) AS oldest, ` +
          `jsonb_populate_record(NULL::${table}, oldest.row) AS r WHERE oldest.old_xmin NOT IN (${ours}) ${onConflictUpdate(spec.primaryKey.map(q), values)}`,
        [name],
      );
    }
    await this.forget();
  }

  /** Empties the journal (the run's work stands, or was taken back). */
  async forget(): Promise<void> {
    await this.#conn.query('clearing the undo journal', `TRUNCATE ${UndoJournal.table}`);
  }
}
