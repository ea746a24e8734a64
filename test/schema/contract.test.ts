import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaContract, type ContractOptions } from '../../src/schema/contract.ts';
import type { SourceItem } from '../../src/sources/source-item.ts';

const none = { columns: new Map(), others: undefined };
const item = (record: Record<string, unknown>): SourceItem<unknown> => ({
  ok: true,
  record,
  position: { source: 'f.csv', row: 1, line: 2 },
});
const contract = (options: Partial<ContractOptions>) =>
  new SchemaContract({ table: 't', columns: [], existing: undefined, inferred: {}, overrides: none, ...options });

describe('SchemaContract', () => {
  it("declares the table's own types for its columns, inferred ones for the new, text for the rest", () => {
    const c = contract({
      columns: ['id', 'amount', 'note'],
      existing: { id: 'integer', other: 'date' },
      inferred: { amount: 'numeric' },
    });
    assert.deepEqual(c.columns, { id: 'integer', amount: 'numeric', note: 'text' });
  });

  it('takes a column that differs from the table’s only in case as that column (SQLite ignores case)', () => {
    const c = contract({
      columns: ['name', 'zip'],
      existing: { Name: 'text', ZIP: 'text', zIp: 'integer' },
      inferred: { name: 'numeric' },
    });
    assert.deepEqual(c.columns, { name: 'text', zip: 'text' }, 'zip matches two names: new, and text');
  });

  it('types a new key column only as integer or date: numeric, boolean and timestamp keys are text', () => {
    const inferred = {
      n: 'numeric',
      b: 'boolean',
      ts: 'timestamp',
      tz: 'timestamptz',
      i: 'integer',
      d: 'date',
    } as const;
    const columns = Object.keys(inferred);
    const c = contract({ columns, inferred, key: columns });
    assert.deepEqual(c.columns, { n: 'text', b: 'text', ts: 'text', tz: 'text', i: 'integer', d: 'date' });
    assert.deepEqual(contract({ columns, inferred }).columns, inferred, 'not a key: as inferred');
    const byHand = { columns: new Map([['n', 'numeric' as const]]), others: undefined };
    assert.equal(contract({ columns: ['n'], inferred, key: ['n'], overrides: byHand }).columns.n, 'numeric');
  });

  it('converts a typed row and rejects a value that does not fit, naming column, field and value', () => {
    const c = contract({ columns: ['id', 'amount'], inferred: { id: 'integer', amount: 'numeric' } });
    assert.deepEqual(c.check(item({ id: '7', amount: '' })), {
      ok: true,
      record: { id: 7, amount: null },
      position: { source: 'f.csv', row: 1, line: 2 },
    });
    const rejected = c.check(item({ id: '7', amount: '12,5' }));
    assert.equal(rejected.ok, false);
    assert.equal(
      !rejected.ok && rejected.reason,
      'column amount (field 2) is numeric: "12,5" does not fit it, and is not converted',
    );
  });

  it('passes an all-text record as it is', () => {
    const c = contract({ columns: ['a', 'b'] });
    const given = item({ a: 'x', b: '' });
    assert.equal(c.check(given), given);
  });

  it('freeze: a value for a column the table lacks is a reject; an empty one is no value', () => {
    const c = contract({ columns: ['id', 'extra'], existing: { id: 'text' }, mode: 'freeze' });
    assert.deepEqual(c.columns, { id: 'text' });
    assert.equal(c.check(item({ id: '1', extra: '' })).ok, true);
    const rejected = c.check(item({ id: '2', extra: 'x' }));
    assert.equal(
      !rejected.ok && rejected.reason,
      'column extra is not in table t, and --schema freeze adds none: "x" has nowhere to go',
    );
    assert.throws(() => contract({ mode: 'freeze' }), { code: 'CONFIG_INVALID', message: /table t does not exist/ });
  });
});
