import { defineJob, id } from 'ferry';
import { readFile } from 'ferry/files';
import { sqlite } from 'ferry/sqlite';
import { z } from 'zod';

export default defineJob({
  name: 'customers',
  version: '1.0.0',
  description: 'customers.csv into SQLite',
  store: sqlite(), // adds --db-path (DB_PATH) and --batch-size
  tables: { customers: { columns: { id: 'text', email: 'text', since: 'text' }, primaryKey: ['id'] } },
  config: { file: { type: 'path', required: true, description: 'the export' } },
  schema: z.object({ email: z.email(), since: z.string() }), // any Standard Schema
  read: (ctx) => readFile(ctx.config.file), // items with their row and line
  write: (c, ctx) => ctx.write('customers', { id: id(c.email), ...c }),
});
