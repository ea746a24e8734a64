// A table declaration is checked before any database is touched: each mistake names the table and what to fix.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { validateTables } from '../../src/stores/tables.ts';

it('a primaryKey naming a column twice is refused (65 TABLE_INVALID), not taken for another key of the table', () => {
  assert.throws(
    () => validateTables({ t: { columns: { id: 'text', v: 'text' }, primaryKey: ['id', 'v', 'id'] } }),
    (error: Error & { code?: string }) =>
      error.code === 'TABLE_INVALID' && /table t: the primaryKey names id twice/.test(error.message),
  );
});
