import { WriteAgain, type ScopeSweep as Sweep, type TableWriter as Writer } from '../dialect.ts';
import { literal, q } from '../quote.ts';
import type { WriteCounts } from '../store.ts';
import { toSql, type Row, type TableSpec } from '../tables.ts';
import type { Connection } from './connection.ts';
import { copyEncoder, rounds, type CopyLine } from './copy-text.ts';
import { checkRounding, widenStaging, type RoundingColumn } from './rounding-columns.ts';
import { upsertSql } from './sql.ts';
import { UndoJournal } from './undo-journal.ts';

let staged = 0;

/**
 * How a batch lands in one table: COPY into a temporary staging table, then one INSERT … SELECT …
 * ON CONFLICT that inserts, updates only what differs, and counts both (see upsertSql). COPY beat
 * unnest() arrays on 1,000,000 rows (bench/RESULTS.md, postgres-upsert). Into a table that was
 * empty, rows are COPYed directly while no key exists yet.
 */
export class TableWriter implements Writer {
  readonly #conn: Connection;
  readonly #name: string;
  readonly #spec: TableSpec;
  readonly #cols: string;
  readonly #staging = `_ferry_in_${++staged}`;
  readonly #encode: (row: Row) => CopyLine;
  readonly #statements = new Map<string, string>();
  // The staging table empties itself at COMMIT; within one transaction (a dry run, a replace,
  // a key twice in a batch) it is emptied by hand before it is filled again.
  #state: 'missing' | 'empty' | 'filled' = 'missing';

  // A table empty when the run began is filled by COPY straight into it (a third of the server's
  // work of an upsert) until a key turns out to exist; from then on every batch takes the upsert.
  #direct: boolean;
  // Whether the upsert leaves unchanged rows out before ON CONFLICT: it saves their row locks but
  // costs inserts and updates a lookup each, so it follows what the last round was mostly.
  #skipUnchanged = true;

  // Columns that would round a value (see rounding-columns.ts): checked in the staging table.
  readonly #rounding: readonly RoundingColumn[];

  constructor(
    conn: Connection,
    name: string,
    spec: TableSpec,
    options: { empty: boolean; rounding?: readonly RoundingColumn[] },
  ) {
    this.#conn = conn;
    this.#name = name;
    this.#spec = spec;
    this.#cols = Object.keys(spec.columns).map(q).join(', ');
    this.#encode = copyEncoder(name, spec);
    this.#rounding = options.rounding ?? [];
    this.#direct = options.empty && spec.mode !== 'replace' && this.#rounding.length === 0;
  }

  /**
   * Writes rows in order; a key given twice is written twice, so the last one wins and both are
   * counted. Throws WriteAgain when a direct COPY met a key already there: the caller rolls back
   * and writes the batch again (now by upsert).
   */
  async write(rows: readonly Row[], counts: WriteCounts, options: { journal: boolean; sweep?: Sweep }): Promise<void> {
    const lines = rows.map(this.#encode); // a row without its key fails before anything is sent
    // A key twice in the batch fails the direct COPY like a key already there: then upsert.
    if (this.#direct && !options.sweep) return this.#copyDirect(lines, counts);
    const seen = (options.sweep as PgSweep | undefined)?.table;
    for (const round of rounds(lines)) {
      await this.#stage(round);
      const text = this.#upsert(options.journal, seen);
      const [result] = await this.#conn.query<{ inserted: number; written: number }>('writing a batch', text, [], true);
      const { inserted = 0, written = 0 } = result ?? {};
      counts.inserted += inserted;
      counts.updated += written - inserted;
      counts.unchanged += round.length - written;
      this.#skipUnchanged = 2 * written < round.length;
    }
  }

  async #copyDirect(lines: readonly CopyLine[], counts: WriteCounts): Promise<void> {
    let copied: number;
    try {
      copied = await this.#copy(q(this.#name), lines);
    } catch (error) {
      if ((error as { cause?: { code?: unknown } }).cause?.code !== '23505') throw error;
      this.#direct = false;
      const message = `table ${this.#name}: a key of the batch exists already; writing it again by upsert`;
      throw new WriteAgain(message, { cause: error });
    }
    // A BEFORE INSERT trigger of the table's that returns NULL skips a row, and COPY does not count
    // it: such a row counts unchanged, as the upsert counts a row it did not write.
    counts.inserted += copied;
    counts.unchanged += lines.length - copied;
  }

  #upsert(journal: boolean, seen: string | undefined): string {
    const skipUnchanged = this.#skipUnchanged;
    const id = `${journal}:${seen}:${skipUnchanged}`;
    let text = this.#statements.get(id);
    if (text === undefined) {
      text = upsertSql(this.#name, this.#spec, `pg_temp.${q(this.#staging)}`, {
        ...(journal ? { copyOld: (column: string) => UndoJournal.journalCall(this.#name, column) } : {}),
        ...(seen ? { seen } : {}),
        skipUnchanged,
      });
      this.#statements.set(id, text);
    }
    return text;
  }

  /** The transaction committed: ON COMMIT DELETE ROWS emptied the staging table. */
  committed(): void {
    if (this.#state === 'filled') this.#state = 'empty';
  }

  /** It rolled back: the staging table may have gone with it. */
  rolledBack(): void {
    this.#state = 'missing';
  }

  async #stage(lines: readonly CopyLine[]): Promise<void> {
    const staging = `pg_temp.${q(this.#staging)}`;
    if (this.#state === 'missing') {
      // Shaped by the real table, so its column types (even from an older declaration) are used.
      this.#conn.hold(
        `DROP TABLE IF EXISTS ${staging}; CREATE TEMP TABLE ${q(this.#staging)} ON COMMIT DELETE ROWS AS SELECT ${this.#cols} FROM ${q(this.#name)} WITH NO DATA`,
      );
      if (this.#rounding.length > 0) this.#conn.hold(widenStaging(staging, this.#rounding));
    } else if (this.#state === 'filled') {
      this.#conn.hold(`TRUNCATE ${staging}`);
    }
    this.#state = 'filled';
    await this.#copy(staging, lines);
    await checkRounding(this.#conn, this.#name, staging, this.#rounding);
  }

  #copy(target: string, lines: readonly CopyLine[]): Promise<number> {
    const text = lines.map((l) => l.line).join('');
    return this.#conn.copyIn('writing a batch', `COPY ${target} (${this.#cols}) FROM STDIN`, text);
  }
}

/** A replace's sweep here: the upsert itself remembers the keys it brought, in `table`. */
export interface PgSweep extends Sweep {
  readonly table: string;
}

/** Remembers the keys a replace brought, then deletes the scope's rows it did not bring. */
export async function scopeSweep(conn: Connection, name: string, spec: TableSpec, scope: Row): Promise<PgSweep> {
  const table = 'pg_temp._ferry_seen';
  const key = spec.primaryKey.map(q);
  await conn.query(
    'replacing a scope',
    `DROP TABLE IF EXISTS ${table}; CREATE TEMP TABLE _ferry_seen AS SELECT ${key.join(', ')} FROM ${q(name)} WITH NO DATA; ALTER TABLE ${table} ADD PRIMARY KEY (${key.join(', ')})`,
  );
  return {
    table,
    /** Deletes the rest of the scope (copying each row into the journal first) and counts it. */
    async sweep(counts, journal) {
      const params: unknown[] = [];
      const inScope = (spec.scope ?? []).map((c) => {
        const type = spec.columns[c] ?? 'text';
        const value = type === 'boolean' ? (scope[c] == null ? null : Boolean(scope[c])) : toSql(scope[c], type);
        if (value === null) return `t.${q(c)} IS NULL`;
        params.push(value);
        return `t.${q(c)} = $${params.length}`;
      });
      const notSeen = `NOT EXISTS (SELECT 1 FROM ${table} s WHERE ${key.map((k) => `s.${k} = t.${k}`).join(' AND ')})`;
      const copy = journal
        ? `, copied AS (INSERT INTO ${UndoJournal.table} (tbl, old_xmin, row) SELECT ${literal(name)}, old_xmin, row FROM gone)`
        : '';
      const [result] = await conn.query<{ deleted: number }>(
        'replacing a scope',
        `WITH gone AS (DELETE FROM ${q(name)} AS t WHERE ${inScope.join(' AND ')} AND ${notSeen} RETURNING t.xmin::text::bigint AS old_xmin, to_jsonb(t.*) AS row)${copy} ` +
          'SELECT count(*)::int AS deleted FROM gone',
        params,
      );
      counts.deleted += result?.deleted ?? 0;
      await conn.query('replacing a scope', `DROP TABLE ${table}`);
    },
  };
}
