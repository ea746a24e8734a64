// Files that another program, or a careless user, hands file-import: paths no read can follow, a
// file rewritten while it is imported. Each run ends exact, or with its documented code and a
// message naming the problem; never 1, never 0 with rows missing.
import assert from 'node:assert/strict';
import { existsSync, readlinkSync, readdirSync, renameSync, symlinkSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, resultOf as result } from '../helpers/protocol.ts';
import { userTables } from './sqlite-rows.ts';
import type { Finished, SpawnOptions } from '../helpers/spawn.ts';
import { postgresUnavailable, suiteSchemas } from '../stores/postgres/test-database.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-hostile-'));
  return {
    dir,
    db: path.join(dir, 'h.db'),
    file: async (name: string, text: string) => (await writeFile(path.join(dir, name), text), path.join(dir, name)),
  };
}
const importFile = (db: string, file: string, args: string[] = [], options: SpawnOptions = {}) =>
  runExample('file-import', ['--db-path', db, '--file', file, ...args], { timeoutMs: 60_000, ...options });

function failure(finished: Finished, code: number, errorCode: string, message: RegExp) {
  failsWith(finished, code, errorCode, message);
  assert.doesNotMatch(finished.stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
}
/** The tables the imports made; none when the run made no database file at all. */
const madeTables = (db: string) => (existsSync(db) ? userTables(db) : []);
function count(db: string, table: string): number {
  const database = new DatabaseSync(db, { readOnly: true });
  try {
    return Number((database.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n);
  } finally {
    database.close();
  }
}

describe('file-import: paths no read can follow', () => {
  it('a symlink loop, a file used as a folder, a name too long: 65 FILE_UNREADABLE saying which, nothing written', async () => {
    const w = await workspace();
    const plain = await w.file('plain.csv', 'id\n1\n');
    symlinkSync('loop-b.csv', path.join(w.dir, 'loop-a.csv'));
    symlinkSync('loop-a.csv', path.join(w.dir, 'loop-b.csv'));
    const cases: [string, string, RegExp][] = [
      ['a symlink loop', path.join(w.dir, 'loop-a.csv'), /symbolic links point at each other in a loop \(ELOOP\)/],
      ['a file used as a folder', path.join(plain, 'x.csv'), /a part of the path before the last is a file/],
      ['a name too long', path.join(w.dir, `${'n'.repeat(300)}.csv`), /longer than the system allows \(ENAMETOOLONG\)/],
    ];
    for (const [what, file, message] of cases) {
      for (const args of [
        ['--key', 'id'],
        ['--format', 'csv'],
      ]) {
        const finished = await importFile(w.db, file, args);
        assert.notEqual(finished.code, 1, `${what}: exit 1 is a ferry bug\n${finished.stderr}`);
        failure(finished, 65, 'FILE_UNREADABLE', message);
      }
    }
    assert.deepEqual(madeTables(w.db), []);
  });
});

/** Calls `then` once the process `pid` has `file` open, polling its descriptors (Linux /proc). */
function whenOpen(pid: number, file: string, then: () => void): void {
  const fds = `/proc/${pid}/fd`;
  const poll = () => {
    let names: string[];
    try {
      names = readdirSync(fds);
    } catch {
      return; // the process is gone
    }
    for (const fd of names) {
      try {
        if (readlinkSync(path.join(fds, fd)) === file) return then();
      } catch {
        // closed meanwhile
      }
    }
    setImmediate(poll);
  };
  poll();
}

describe('file-import: the file replaced while it is imported', { skip: !existsSync('/proc/self/fd') }, () => {
  // file-import reads its file twice: its columns and their types, then its rows. An exporter that
  // renames a new (here: empty) file into place in between made the second read see it, and the
  // replace delete every row the file brought, with exit 0.
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ id: i + 1, v: `value ${i + 1}` })).join('\n') + '\n';

  for (const key of [[], ['--key', 'id']]) {
    it(`${key.length > 0 ? 'with --key' : 'without --key'}: an empty file renamed over it during the first read is 75 FILE_CHANGED, and every row stays`, async () => {
      const w = await workspace();
      const file = await w.file('export.ndjson', lines(100_000));
      assert.equal((await importFile(w.db, file, key)).code, 0);
      const empty = await w.file('export.tmp', '');
      let swapped = false;
      const finished = await importFile(w.db, file, key, {
        onOutput: (_out, child) => {
          if (swapped || child.pid === undefined) return;
          swapped = true;
          whenOpen(child.pid, file, () => renameSync(empty, file));
        },
      });
      assert.ok(swapped, 'the run printed nothing');
      failure(
        finished,
        75,
        'FILE_CHANGED',
        /export\.ndjson changed while it was read \(another file was put in its place\)/,
      );
      assert.equal(count(w.db, 'export'), 100_000);
      // Once the writer is done, the rerun reads the file as it now is: empty, which without --key fails as such.
      const rerun = await importFile(w.db, file, key);
      if (key.length > 0) assert.equal(rerun.code, 0);
      else failure(rerun, 65, 'EMPTY_FILE', /has no records/);
      assert.equal(count(w.db, 'export'), 100_000);
    });
  }
});

describe('file-import: a JSON record nested 100,000 arrays deep', () => {
  // Rejected (an array is no record), it overflowed the stack of the copy that redacts a reject: exit 1.
  it('is a reject: 65 over --max-rejects, 0 within it, and the rejects command lists it whole', async () => {
    const w = await workspace();
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const file = await w.file('deep.json', `[{"id":1},${deep}]`);
    failure(await importFile(w.db, file), 65, 'REJECTS_OVER_LIMIT', /row 2: the record is an array/);
    const allowed = result(await importFile(w.db, file, ['--max-rejects', '1']));
    assert.deepEqual([allowed.exitCode, allowed.counts.inserted, allowed.counts.rejected], [0, 1, 1]);
    const listed = await runExample('file-import', ['rejects', '--db-path', w.db]);
    assert.equal(listed.code, 0, listed.stderr);
    const reject = JSON.parse(listed.stdout.trim()) as { raw: unknown };
    assert.equal(JSON.stringify(reject.raw), deep);
  });
});

describe('file-import: JSON text holding half of a UTF-16 surrogate pair', () => {
  // "\ud800" has no UTF-8 form: stored, it became U+FFFD, and two keys differing only there one row.
  it('a value is a reject naming the column; two such keys never merge into one row', async () => {
    const w = await workspace();
    const file = await w.file('s.ndjson', '{"id":"a","v":"ok"}\n{"id":"\\ud800","v":1}\n{"id":"\\udc00","v":2}\n');
    for (const key of [['--key', 'id'], []]) {
      const db = path.join(w.dir, `${key.length}.db`);
      failure(
        await importFile(db, file, key),
        65,
        'REJECTS_OVER_LIMIT',
        /row 2, line 2: column id \(field 1\): "\\ud800" holds half of a UTF-16 surrogate pair/,
      );
      const allowed = result(await importFile(db, file, [...key, '--max-rejects', '2']));
      assert.deepEqual([allowed.exitCode, allowed.counts.inserted, allowed.counts.rejected], [0, 1, 2]);
      assert.equal(count(db, 's'), 1);
      const listed = await runExample('file-import', ['rejects', '--db-path', db]);
      const raws = listed.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { raw: { id: string } }).raw.id);
      assert.deepEqual(raws.sort(), ['\ud800', '\udc00']);
    }
  });

  it('a field name is 65 COLUMN_NAME_INVALID, nothing created', async () => {
    const w = await workspace();
    const file = await w.file('n.ndjson', '{"id":1,"\\ud800":"x"}\n');
    failure(
      await importFile(w.db, file, ['--key', 'id']),
      65,
      'COLUMN_NAME_INVALID',
      /half of a UTF-16 surrogate pair/,
    );
    assert.deepEqual(madeTables(w.db), []);
  });
});

describe('file-import: keys PostgreSQL takes for one', { skip: await postgresUnavailable() }, () => {
  // Two keys written differently but equal as PostgreSQL compares them, in one batch, failed the
  // upsert ("ON CONFLICT DO UPDATE command cannot affect row a second time"): exit 1. A new key
  // column is no longer inferred as such a type (each spelling stays a key of its own), so the
  // type is named, as a table that has it already names it.
  const schemas = suiteSchemas();
  const cases: [string, string, string, string[], string][] = [
    ['numeric 1.0 and 1.00', 'num.csv', 'id,v\n1.0,a\n1.00,b\n2.5,c\n', ['1.0|b', '2.5|c'], 'numeric'],
    [
      'timestamptz at one instant in two zones',
      'tz.csv',
      'id,v\n2024-01-01T00:00:00Z,a\n2024-01-01T01:00:00+01:00,b\n',
      ['2024-01-01T00:00:00.000Z|b'],
      'timestamptz',
    ],
    [
      'timestamp as a date, with T, with a space',
      'ts.csv',
      'id,v\n2024-01-01,a\n2024-01-01 00:00,b\n2024-01-01T00:00:00.000,c\n',
      ['2024-01-01T00:00:00.000Z|c'],
      'timestamp',
    ],
  ];
  for (const [what, name, content, expected, type] of cases) {
    it(`${what}, --types id=${type}: the last one wins, as for a key written twice alike`, async () => {
      const w = await workspace();
      const schema = await schemas();
      const file = await w.file(name, content);
      const args = ['--db-url', schema.url, '--file', file, '--key', 'id', '--types', `id=${type}`];
      for (let run = 0; run < 2; run++) {
        const finished = await runExample('file-import', args);
        assert.equal(finished.code, 0, finished.stderr);
      }
      const table = name.replace('.csv', '');
      const rows = await schema.query<{ id: unknown; v: string }>(`SELECT id, v FROM ${table} ORDER BY id`);
      const text = (id: unknown) => (id instanceof Date ? id.toISOString() : String(id));
      assert.deepEqual(
        rows.map((r) => `${text(r.id)}|${r.v}`),
        expected,
      );
    });
  }
});

describe('file-import: UTF-16 without a byte-order mark', () => {
  // Read as UTF-8 it was text full of NULs: 65 for a NUL in a column name, or "not valid JSON".
  it('little or big endian, CSV or NDJSON: 65 FILE_NOT_UTF8 naming --encoding; with it, every row', async () => {
    const w = await workspace();
    const cases: [string, string, 'utf16le' | 'be'][] = [
      ['le.csv', 'id,v\n1,é\n', 'utf16le'],
      ['be.csv', 'id,v\n1,é\n', 'be'],
      ['le.ndjson', '{"id":1,"v":"é"}\n', 'utf16le'],
    ];
    for (const [name, text, order] of cases) {
      const le = Buffer.from(text, 'utf16le');
      await writeFile(path.join(w.dir, name), order === 'be' ? le.swap16() : le);
      const file = path.join(w.dir, name);
      const encoding = order === 'be' ? 'utf-16be' : 'utf-16le';
      failure(
        await importFile(w.db, file, ['--key', 'id']),
        65,
        'FILE_NOT_UTF8',
        new RegExp(`looks like ${encoding.toUpperCase()} without a byte-order mark.*pass --encoding ${encoding}`),
      );
      assert.equal((await importFile(w.db, file, ['--key', 'id', '--encoding', encoding])).code, 0);
      assert.equal(count(w.db, name.replace(/\..*/, '')), 1);
    }
  });
});
