import { DatabaseSync } from 'node:sqlite';
import { q } from '../stores/quote.ts';

/** A job's own tables (not ferry's bookkeeping), each row keyed by its primary key. */
export type Snapshot = Map<string, Map<string, string>>;

/** How one table differs from the reference run's. */
export interface TableDifference {
  /** The table's name. */
  table: string;
  /** Rows of the reference that are not there (by primary key). */
  missing: number;
  /** Rows that the reference does not have. */
  extra: number;
  /** Rows with the same key and other values. */
  different: number;
  /** The first few keys involved, as JSON. */
  examples: string[];
}

/** Reads every table of a SQLite file but ferry's own (`_ferry_*`), read-only. */
export function snapshotSqlite(file: string): Snapshot {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
      )
      .all() as { name: string }[];
    const snapshot: Snapshot = new Map();
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name.replaceAll('"', '""')}")`).all() as {
        name: string;
        pk: number;
      }[];
      const key = columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const rows = new Map<string, string>();
      for (const row of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).iterate() as Iterable<
        Record<string, unknown>
      >) {
        const id = JSON.stringify((key.length > 0 ? key : columns.map((c) => c.name)).map((c) => plain(row[c])));
        // A duplicate key can only happen without a primary key: count it as a row of its own.
        rows.set(rows.has(id) ? `${id}#${rows.size}` : id, JSON.stringify(Object.values(row).map(plain)));
      }
      snapshot.set(name, rows);
    }
    return snapshot;
  } finally {
    db.close();
  }
}

/** A table of the schema: its columns in order, and its primary key in key order (empty without one). */
interface PgTable {
  name: string;
  columns: string[];
  key: string[];
}

const PG_TABLES_SQL = `SELECT c.relname::text AS name,
  array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
  array(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)) AS key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '\\_ferry%' ESCAPE '\\'
ORDER BY c.relname`;

/**
 * The same for the schema a PostgreSQL URL selects (its search_path, as the store reads it). Every
 * value is rendered as the server's text for it, so equal data gives equal strings.
 */
export async function snapshotPostgres(url: string): Promise<Snapshot> {
  const { Connection } = await import('../stores/postgres/connection.ts');
  const conn = await Connection.open(url, 'taking a snapshot');
  try {
    const [{ schema } = { schema: null }] = await conn.query<{ schema: string | null }>(
      'taking a snapshot',
      'SELECT current_schema() AS schema',
    );
    if (schema === null) throw new TypeError("snapshotPostgres: no schema on the URL's search_path exists");
    const snapshot: Snapshot = new Map();
    for (const table of await conn.query<PgTable>('taking a snapshot', PG_TABLES_SQL, [schema])) {
      const rows = await conn.query<{ v: (string | null)[] }>(
        'taking a snapshot',
        `SELECT ARRAY[${table.columns.map((c) => `${q(c)}::text`).join(', ')}]::text[] AS v FROM ${q(schema)}.${q(table.name)}`,
      );
      snapshot.set(
        table.name,
        keyed(
          rows.map((r) => r.v),
          table,
        ),
      );
    }
    return snapshot;
  } finally {
    await conn.close();
  }
}

function keyed(rows: readonly (string | null)[][], table: PgTable): Map<string, string> {
  const at = (table.key.length > 0 ? table.key : table.columns).map((c) => table.columns.indexOf(c));
  const out = new Map<string, string>();
  for (const row of rows) {
    const id = JSON.stringify(at.map((i) => row[i]));
    out.set(out.has(id) ? `${id}#${out.size}` : id, JSON.stringify(row));
  }
  return out;
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { blob: Buffer.from(value).toString('hex') };
  return typeof value === 'bigint' ? value.toString() : value;
}

/** How `got` differs from `expected`, table by table; empty when they are equal. */
export function compareSnapshots(expected: Snapshot, got: Snapshot, examples = 3): TableDifference[] {
  const out: TableDifference[] = [];
  for (const table of new Set([...expected.keys(), ...got.keys()])) {
    const want = expected.get(table) ?? new Map<string, string>();
    const have = got.get(table) ?? new Map<string, string>();
    const diff: TableDifference = { table, missing: 0, extra: 0, different: 0, examples: [] };
    const note = (what: 'missing' | 'extra' | 'different', key: string) => {
      diff[what]++;
      if (diff.examples.length < examples) diff.examples.push(`${what} ${key}`);
    };
    for (const [key, row] of want) {
      const other = have.get(key);
      if (other === undefined) note('missing', key);
      else if (other !== row) note('different', key);
    }
    for (const key of have.keys()) if (!want.has(key)) note('extra', key);
    if (diff.missing + diff.extra + diff.different > 0 || !expected.has(table) || !got.has(table)) out.push(diff);
  }
  return out;
}

/** One line per table: `table items: 3 missing, 0 extra, 0 different (missing ["…"])`. */
export function describeDifferences(diffs: readonly TableDifference[]): string {
  return diffs
    .map(
      (d) =>
        `table ${d.table}: ${d.missing} missing, ${d.extra} extra, ${d.different} different (${d.examples.join('; ')})`,
    )
    .join('\n');
}
