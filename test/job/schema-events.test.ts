// The `schema` event, in-process through runJob against every store: a job's declared tables
// report their creation with every column's type, a declaration that grows reports the columns
// added, and a run that finds its tables as declared reports nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReporter, runJob, type TablesSchema } from 'ferry';
import { jobOn, targets, type Database } from '../stores/targets.ts';

const v1 = {
  orders: { columns: { id: 'text', amount: 'numeric', placed: 'date' }, primaryKey: ['id'] },
} satisfies TablesSchema;
const v2 = {
  orders: { columns: { ...v1.orders.columns, paid: 'boolean', at: 'timestamptz' }, primaryKey: ['id'] },
} satisfies TablesSchema;

const SQL_TYPES: Record<string, Record<string, string>> = {
  sqlite: { text: 'TEXT', numeric: 'REAL', date: 'DATE TEXT', boolean: 'BOOLEAN', timestamptz: 'TIMESTAMPTZ TEXT' },
  postgres: { text: 'TEXT', numeric: 'NUMERIC', date: 'DATE', boolean: 'BOOLEAN', timestamptz: 'TIMESTAMPTZ' },
};

for (const target of targets) {
  describe(`${target.name}: schema events`, async () => {
    const why = await target.unavailable();
    if (why) return void it.skip(`${target.name} schema events: ${why}`);

    const schemaLines = async (db: Database, tables: TablesSchema) => {
      const reporter = new MemoryReporter();
      const job = jobOn(target, 'schema-events', tables, async () => {});
      const result = await runJob(job, {}, { reporter, store: db.open() });
      assert.equal(result.exitCode, 0, result.error?.message);
      return reporter.ofType('schema').map(({ table, change, columns }) => ({ table, change, columns }));
    };
    const types = target.name.startsWith('postgres') ? SQL_TYPES.postgres : SQL_TYPES.sqlite;
    const column = (name: string, type: string) => ({ name, type, sqlType: types?.[type] });

    it('created with every column, nothing when unchanged, the added columns when the declaration grows', async () => {
      const db = await target.fresh();
      assert.deepEqual(await schemaLines(db, v1), [
        {
          table: 'orders',
          change: 'created',
          columns: [column('id', 'text'), column('amount', 'numeric'), column('placed', 'date')],
        },
      ]);
      assert.deepEqual(await schemaLines(db, v1), []);
      assert.deepEqual(await schemaLines(db, v2), [
        { table: 'orders', change: 'altered', columns: [column('paid', 'boolean'), column('at', 'timestamptz')] },
      ]);
    });
  });
}
