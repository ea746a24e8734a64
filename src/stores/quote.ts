/** A name as an SQL identifier, quoted: the same in SQLite and PostgreSQL. */
export const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A text as an SQL string literal. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
