import { DatabaseSync } from 'node:sqlite';

/** A job's own tables (not ferry's bookkeeping), each row keyed by its primary key. */
export type Snapshot = Map<string, Map<string, string>>;

export interface TableDifference {
  table: string;
  missing: number;
  extra: number;
  different: number;
  /** The first few keys involved, as JSON. */
  examples: string[];
}

export function snapshotSqlite(file: string): Snapshot {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`).all() as { name: string }[];
    const snapshot: Snapshot = new Map();
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name.replaceAll('"', '""')}")`).all() as { name: string; pk: number }[];
      const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const rows = new Map<string, string>();
      for (const row of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).iterate() as Iterable<Record<string, unknown>>) {
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

export function describeDifferences(diffs: readonly TableDifference[]): string {
  return diffs.map((d) => `table ${d.table}: ${d.missing} missing, ${d.extra} extra, ${d.different} different (${d.examples.join('; ')})`).join('\n');
}
