// customers: a CSV export (or TSV, NDJSON, a JSON array) into the SQLite table `customers`.
//   npm start -- --file exports/customers.csv      (or CUSTOMERS_FILE in the environment)
import { defineJob, id } from 'ferry';
import { runMain } from 'ferry/cli';
import { readFile } from 'ferry/files';
import { sqlite } from 'ferry/sqlite';
import { z } from 'zod';

const job = defineJob({
  name: 'customers',
  version: '0.1.0',
  description: 'imports a customers export file into SQLite',
  envPrefix: 'CUSTOMERS', // CUSTOMERS_FILE…: a stray FILE in the shell cannot change a run
  store: sqlite(), // adds --db-path (CUSTOMERS_DB_PATH, default ./ferry.db) and --batch-size
  tables: {
    customers: { columns: { id: 'text', email: 'text', name: 'text', since: 'text' }, primaryKey: ['id'] },
  },
  config: {
    file: { type: 'path', required: true, description: 'the export to import', example: 'exports/customers.csv' },
  },
  // A row that does not match goes to _ferry_rejects with its row and line; the run goes on.
  schema: z.object({ email: z.email(), name: z.string(), since: z.iso.date() }),
  read: (ctx) => readFile(ctx.config.file), // items with their file, row and line
  // The id comes from the data, so a rerun updates the same rows instead of adding new ones.
  write: (c, ctx) => ctx.write('customers', { id: id(c.email), ...c }),
});

export default job;
if (import.meta.main) await runMain(job);
