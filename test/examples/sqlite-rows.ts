import { DatabaseSync } from 'node:sqlite';

/** Every row of a table, in key order, as plain objects: what a user would see with sqlite3. */
export function tableRows(file: string, table: string, orderBy: string): Record<string, unknown>[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db
      .prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`)
      .all()
      .map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

/** Rows without ferry's own columns: what the file brought. */
export const userColumns = (rows: Record<string, unknown>[]) =>
  rows.map(({ _ferry_id: _i, _ferry_source: _s, ...rest }) => rest);

/** The names of the tables the imports made (not ferry's own). */
export function userTables(file: string): string[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\'")
      .all()
      .map((r) => String(r.name));
  } finally {
    db.close();
  }
}
