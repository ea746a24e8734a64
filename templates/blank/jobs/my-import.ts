// my-import: a job to fill in. It shows the shape: typed options, a table, read and write.
//   npm start -- --count 5
import { defineJob } from 'ferry';
import { runMain } from 'ferry/cli';
import { sqlite } from 'ferry/sqlite';

const job = defineJob({
  name: 'my-import',
  version: '0.1.0',
  description: 'a ferry job to fill in',
  envPrefix: 'MY_IMPORT', // MY_IMPORT_COUNT…: a stray COUNT in the shell cannot change a run
  store: sqlite(), // adds --db-path (MY_IMPORT_DB_PATH, default ./ferry.db) and --batch-size
  tables: {
    items: { columns: { id: 'text', label: 'text' }, primaryKey: ['id'] },
  },
  config: {
    count: { type: 'int', default: 3, min: 0, description: 'how many items to make (stands in for a real source)' },
  },
  // Replace with your source: ferry/http's httpSource, ferry/files' readFile, or any async iterable of items.
  async *read(ctx) {
    for (let n = 1; n <= ctx.config.count; n++) {
      yield { ok: true, record: { n }, position: { source: 'generated', row: n } };
    }
  },
  // Ids from the data, never a counter or a clock: a rerun must update the same rows.
  write: (record, ctx) =>
    ctx.write('items', { id: `item-${String(record.n)}`, label: `item number ${String(record.n)}` }),
});

export default job;
if (import.meta.main) await runMain(job);
