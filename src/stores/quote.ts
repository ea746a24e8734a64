/** A name as an SQL identifier, quoted: the same in SQLite and PostgreSQL. */
export const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A text as an SQL string literal. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `ON CONFLICT (key) DO UPDATE SET` each value column to the row that came (`DO NOTHING` with none); names quoted. */
export function onConflictUpdate(key: readonly string[], values: readonly string[]): string {
  const action = values.length ? `UPDATE SET ${values.map((c) => `${c} = excluded.${c}`).join(', ')}` : 'NOTHING';
  return `ON CONFLICT (${key.join(', ')}) DO ${action}`;
}
