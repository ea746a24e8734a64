import type { DatabaseSync } from 'node:sqlite';
import type { TableSpec, TablesSchema } from '../tables.ts';
import { q } from './sql.ts';

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Lets a run that fails a guard (--max-rejects, --min-records) take back everything it
 * committed. Rows a run inserts get rowids above the table's highest at its start, so they
 * need no record; the rows it updates or deletes are copied, as they were, into _ferry_undo by
 * temporary triggers. Inserts, the bulk of an import, cost nothing extra.
 */
export class UndoJournal {
  readonly #db: DatabaseSync;
  readonly #tables: TablesSchema;
  readonly #runId: string;
  readonly #maxRowid = new Map<string, number>();

  constructor(db: DatabaseSync, tables: TablesSchema, runId: string) {
    this.#db = db;
    this.#tables = { ...tables };
    this.#runId = runId;
  }

  /** Notes where each table ends and starts copying old rows; call inside the run's first transaction. */
  open(): void {
    for (const name of Object.keys(this.#tables)) this.#watch(name);
  }

  /** A table declared during the run (ctx.defineTable) is watched from then on. */
  add(name: string, spec: TableSpec): void {
    this.#tables[name] = spec;
    this.#watch(name);
  }

  #watch(name: string): void {
    const spec = this.#tables[name];
    if (!spec) return;
    const m = this.#maxRowid.get(name) ?? (this.#db.prepare(`SELECT coalesce(max(rowid), 0) AS m FROM ${q(name)}`).get() as { m: number }).m;
    this.#maxRowid.set(name, m);
    const row = `json_object(${Object.entries(spec.columns).map(([c, t]) => `${literal(c)}, ${t === 'blob' ? `iif(old.${q(c)} IS NULL, NULL, hex(old.${q(c)}))` : `old.${q(c)}`}`).join(', ')})`;
    const copy = `INSERT INTO _ferry_undo (run_id, tbl, row) VALUES (${literal(this.#runId)}, ${literal(name)}, ${row})`;
    for (const event of ['UPDATE', 'DELETE']) {
      // Dropped first: a table that grew needs the copy to name its new columns.
      this.#db.exec(`DROP TRIGGER IF EXISTS temp.${q(`_ferry_undo_${event}_${name}`)}`);
      this.#db.exec(`CREATE TEMP TRIGGER ${q(`_ferry_undo_${event}_${name}`)} BEFORE ${event} ON main.${q(name)} WHEN old.rowid <= ${m} BEGIN ${copy}; END`);
    }
  }

  /** Puts every table back as it was when the run started. Call inside a transaction. */
  undo(): void {
    this.close();
    for (const [name, spec] of Object.entries(this.#tables)) {
      this.#db.prepare(`DELETE FROM ${q(name)} WHERE rowid > ?`).run(this.#maxRowid.get(name) ?? 0);
      const cols = Object.keys(spec.columns);
      const values = Object.entries(spec.columns).map(([c, t]) => (t === 'blob' ? `unhex(row ->> ${literal(`$."${c}"`)})` : `row ->> ${literal(`$."${c}"`)}`));
      const update = cols.filter((c) => !spec.primaryKey.includes(c)).map((c) => `${q(c)} = excluded.${q(c)}`);
      // Oldest copy last, so a row changed twice ends as it was before the run.
      this.#db.prepare(
        `INSERT INTO ${q(name)} (${cols.map(q).join(', ')}) SELECT ${values.join(', ')} FROM _ferry_undo WHERE run_id = ? AND tbl = ? ORDER BY seq DESC ` +
          `ON CONFLICT (${spec.primaryKey.map(q).join(', ')}) DO ${update.length ? `UPDATE SET ${update.join(', ')}` : 'NOTHING'}`,
      ).run(this.#runId, name);
    }
    this.forget();
  }

  forget(): void {
    this.#db.prepare('DELETE FROM _ferry_undo WHERE run_id = ?').run(this.#runId);
  }

  close(): void {
    for (const name of Object.keys(this.#tables)) {
      for (const event of ['UPDATE', 'DELETE']) this.#db.exec(`DROP TRIGGER IF EXISTS temp.${q(`_ferry_undo_${event}_${name}`)}`);
    }
  }
}
