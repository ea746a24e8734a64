// The database file as users get it wrong: a folder, a missing folder, a file that is no database,
// a damaged one, another program's long write lock, a full disk. Each ends with its code and says why.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { runExample, sidecarFor } from '../helpers/example-job.ts';
import { failsWith as failure, parseEventLines } from '../helpers/protocol.ts';
import { run } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-sqlite-faults-'));
  const csv = path.join(dir, 'people.csv');
  await writeFile(csv, `id,name\n${Array.from({ length: 50 }, (_, i) => `${i},name ${i}`).join('\n')}\n`);
  return { dir, csv };
}
const importInto = (db: string, csv: string, args: string[] = []) =>
  runExample('file-import', ['--db-path', db, '--file', csv, '--key', 'id', ...args], { timeoutMs: 60_000 });

/** `check` prints one JSON line, never a stack, and exits with the failure's own code. */
async function checkFails(db: string, code: number, errorCode: string, message: RegExp) {
  const finished = await runExample('file-import', ['check', '--db-path', db]);
  const lines = finished.stdout.trim().split('\n');
  assert.equal(lines.length, 1, finished.stdout);
  const line = JSON.parse(lines[0] ?? '') as { type: string; ok: boolean; error: { code: string; message: string } };
  assert.deepEqual(
    [finished.code, line.type, line.ok, line.error.code],
    [code, 'check', false, errorCode],
    finished.stderr,
  );
  assert.match(line.error.message, message);
  assert.doesNotMatch(finished.stderr, /\n\s+at /, 'no stack trace');
}

/** `rejects` (listing) says why on stderr, lists nothing, and exits with the failure's own code: never a stack. */
async function rejectsFails(db: string, code: number, message: RegExp) {
  const finished = await runExample('file-import', ['rejects', '--db-path', db]);
  assert.deepEqual([finished.code, finished.stdout], [code, ''], finished.stderr);
  assert.match(finished.stderr, message);
  assert.doesNotMatch(finished.stderr, /\n\s+at /, 'no stack trace');
}

describe('file-import: --db-path pointing somewhere odd', () => {
  it('a folder: 64 naming the path, for the run and for check', async () => {
    const w = await workspace();
    failure(
      await importInto(w.dir, w.csv),
      64,
      'DB_PATH_INVALID',
      new RegExp(`the database path ${w.dir} is a folder`),
    );
    await checkFails(w.dir, 64, 'DB_PATH_INVALID', /is a folder/);
  });

  it('inside a folder that does not exist: 64 naming the folder', async () => {
    const w = await workspace();
    const db = path.join(w.dir, 'missing', 'deeper', 'x.db');
    failure(
      await importInto(db, w.csv),
      64,
      'DB_PATH_INVALID',
      /in a folder that does not exist \(.*missing\/deeper\)/,
    );
    await checkFails(db, 64, 'DB_PATH_INVALID', /does not exist/);
  });

  // SQLite said "disk I/O error" or "unable to open database file": 75, as if a retry could help.
  it('a device (/dev/null), a FIFO, a folder no file can be made in (/proc), a link to a missing folder: 64 saying so', async () => {
    const w = await workspace();
    const fifo = path.join(w.dir, 'fifo.db');
    execFileSync('mkfifo', [fifo]);
    const link = path.join(w.dir, 'link.db');
    execFileSync('ln', ['-s', path.join(w.dir, 'nowhere', 'x.db'), link]); // SQLite: "unable to open database file", 75
    const cases: [string, RegExp][] = [
      [link, /link\.db is a symbolic link to .*nowhere\/x\.db, in a folder that does not exist/],
      ['/dev/null', /the database path \/dev\/null is a device, not a file/],
      [fifo, /fifo\.db is a pipe, not a file/],
      ['/proc/ferry.db', /the database path \/proc\/ferry\.db cannot be created in \/proc \(ENOENT/],
    ];
    for (const [db, message] of cases) failure(await importInto(db, w.csv), 64, 'DB_PATH_INVALID', message);
  });

  const notDatabases: [string, (file: string) => Promise<void>][] = [
    ['a text file', (file) => writeFile(file, 'id,name\n1,a\n'.repeat(200))],
    ['random bytes', (file) => writeFile(file, randomBytes(64 * 1024))],
  ];
  for (const [what, make] of notDatabases) {
    it(`${what}: 65 "not a SQLite database", the file untouched; check says so in one line`, async () => {
      const w = await workspace();
      const db = path.join(w.dir, 'x.db');
      await make(db);
      const before = await readFile(db);
      failure(await importInto(db, w.csv), 65, 'SQLITE_NOT_A_DATABASE', new RegExp(`not a SQLite database: ${db}`));
      assert.deepEqual(await readFile(db), before);
      await checkFails(db, 65, 'SQLITE_NOT_A_DATABASE', /not a SQLite database/);
      await rejectsFails(db, 65, /not a SQLite database/);
    });
  }

  it('a truncated database: 65, damaged or not a database, never a stack', async () => {
    const w = await workspace();
    const db = path.join(w.dir, 'x.db');
    const big = path.join(w.dir, 'big.csv');
    await writeFile(big, `id,v\n${Array.from({ length: 5000 }, (_, i) => `${i},${'x'.repeat(100)}`).join('\n')}\n`);
    assert.equal((await importInto(db, big)).code, 0);
    const checkpointed = new DatabaseSync(db);
    checkpointed.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    checkpointed.close();
    await rm(`${db}-wal`, { force: true });
    await truncate(db, 40_000);
    const finished = await importInto(db, big);
    const last = parseEventLines(finished.stdout).at(-1);
    assert.ok(last?.type === 'result');
    assert.equal(finished.code, 65, finished.stderr);
    assert.match(last.error?.code ?? '', /^SQLITE_(CORRUPT|NOT_A_DATABASE)$/);
  });

  // SQLite's "file is not a database" from the lock file went out raw: exit 1, UNEXPECTED.
  it('a run lock file that is not a database, or a folder: 65 or 64 naming it, never 1 or 75; the rerun once it is gone ends exact', async () => {
    const w = await workspace();
    const db = path.join(w.dir, 'x.db');
    assert.equal((await importInto(db, w.csv)).code, 0);
    const lock = `${db}.file-import.lock`;
    await writeFile(lock, 'not a lock\n');
    failure(await importInto(db, w.csv), 65, 'SQLITE_NOT_A_DATABASE', new RegExp(`not a SQLite database: ${lock}`));
    await rm(lock);
    // A folder there: "unable to open database file", 75 for ever.
    await mkdir(lock);
    failure(await importInto(db, w.csv), 64, 'DB_PATH_INVALID', new RegExp(`${lock} is not a file`));
    await rm(lock, { recursive: true });
    assert.equal((await importInto(db, w.csv)).code, 0);
    assert.equal(tableRows(db, 'people', 'id').length, 50);
  });
});

/**
 * Runs file-import as a user that file modes bind: this one, or nobody when the tests run as root
 * (whom modes do not stop), through setpriv; the workspace is then given to nobody.
 */
const otherUser = (() => {
  if (process.platform !== 'linux') return { skip: 'needs Linux file modes' };
  if (process.getuid?.() !== 0) return { wrap: [] as string[] };
  if (!existsSync('/usr/bin/setpriv')) return { skip: 'runs as root and has no setpriv to run the job as nobody' };
  return { wrap: ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] };
})();

async function importAsUser(db: string, csv: string) {
  const args = ['--db-path', db, '--file', csv, '--key', 'id'];
  const [setpriv, ...wrap] = otherUser.wrap ?? [];
  if (setpriv === undefined) return runExample('file-import', args, { timeoutMs: 60_000 });
  const { command, args: leading } = await sidecarFor('file-import');
  return run(setpriv, [...wrap, command, ...leading, ...args], { env: { PATH: '/nonexistent' }, timeoutMs: 60_000 });
}

async function userWorkspace() {
  const w = await workspace();
  if (otherUser.wrap?.length)
    for (const name of ['', ...(await readdir(w.dir))]) await chown(path.join(w.dir, name), 65534, 65534);
  return { ...w, db: path.join(w.dir, 'x.db') };
}

describe('file-import: a database the job may not write', { skip: otherUser.skip }, () => {
  /** A run as the user fails 65 SQLITE_READONLY, saying that `what` cannot be written. */
  const refused = async (w: { db: string; csv: string }, what: string) =>
    failure(
      await importAsUser(w.db, w.csv),
      65,
      'SQLITE_READONLY',
      new RegExp(`${what} cannot be written by this user`),
    );

  // SQLite opens a lock file it cannot write read-only and locks nothing: the run went on, exit 0,
  // and two such runs wrote at once.
  it('a run lock file left read-only (by another user): 65 naming it, not 0 without a lock', async () => {
    const w = await userWorkspace();
    assert.equal((await importAsUser(w.db, w.csv)).code, 0);
    const lock = `${w.db}.file-import.lock`;
    await chmod(lock, 0o444);
    await refused(w, lock);
    await chmod(lock, 0o644);
    assert.equal((await importAsUser(w.db, w.csv)).code, 0);
  });

  // "attempt to write a readonly database (is the database file writable?)": the file was.
  it('a folder, or a -shm left read-only: 65 naming what cannot be written; the rerun once fixed ends exact', async () => {
    const w = await userWorkspace();
    assert.equal((await importAsUser(w.db, w.csv)).code, 0);
    await chmod(w.dir, 0o555);
    await refused(w, w.dir);
    await chmod(w.dir, 0o755);
    await chmod(w.db, 0o444); // a run against it leaves its -shm (and -wal) read-only, as SQLite makes them like the file
    await refused(w, w.db);
    await chmod(w.db, 0o644);
    await refused(w, `${w.db}-shm`);
    for (const file of [`${w.db}-shm`, `${w.db}-wal`]) await chmod(file, 0o644);
    assert.equal((await importAsUser(w.db, w.csv)).code, 0);
    assert.equal(tableRows(w.db, 'people', 'id').length, 50);
  });
});

describe("file-import: a database whose _ferry tables are not ferry's", () => {
  // Another program's table named like one of ferry's (or one altered by hand): every statement on
  // it failed with a bare SQL error, exit 1 and a stack.
  const foreign = [
    [
      '_ferry_runs of another shape',
      'CREATE TABLE _ferry_runs (id TEXT, x INTEGER)',
      /_ferry_runs lacks the columns job, /,
    ],
    [
      '_ferry_runs alone',
      'CREATE TABLE _ferry_runs (id TEXT, job TEXT, started_at TEXT, finished_at TEXT, status TEXT, exit_code INTEGER, dry_run INTEGER, read INTEGER, inserted INTEGER, updated INTEGER, unchanged INTEGER, deleted INTEGER, rejected INTEGER, error_code TEXT, error_message TEXT)',
      /_ferry_checkpoints is missing/,
    ],
  ] as const;
  for (const [what, sql, message] of foreign) {
    it(`${what}: the run, check and rejects exit 65 saying which table, no stack; the table untouched`, async () => {
      const w = await workspace();
      const db = path.join(w.dir, 'x.db');
      const setup = new DatabaseSync(db);
      setup.exec(`${sql}; INSERT INTO _ferry_runs (id) VALUES ('theirs')`);
      setup.close();
      if (what.startsWith('_ferry_runs of another shape')) {
        const run = await importInto(db, w.csv);
        failure(run, 65, 'HISTORY_INVALID', message);
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      }
      await checkFails(db, 65, 'HISTORY_INVALID', message);
      await rejectsFails(db, 65, message);
      assert.deepEqual(
        tableRows(db, '_ferry_runs', 'id').map((r) => r.id),
        ['theirs'],
      );
    });
  }
});

describe('file-import: the database deleted under the run', () => {
  // The batches went on committing into the deleted file: exit 0, 100,000 inserted, and no database.
  for (const key of [['--key', 'id'], []])
    it(`${key.length ? 'with' : 'without'} --key: 75 DB_VANISHED, never 0; the rerun ends exact`, async () => {
      const w = await workspace();
      const db = path.join(w.dir, 'x.db');
      const big = path.join(w.dir, 'big.csv');
      await writeFile(big, `id,v\n${Array.from({ length: 100_000 }, (_, i) => `${i},value ${i}`).join('\n')}\n`);
      let deleted = false;
      const args = ['--db-path', db, '--file', big, '--batch-size', '200', ...key];
      const run = await runExample('file-import', args, {
        timeoutMs: 60_000,
        onOutput: (out) => {
          if (deleted || !out.includes('"type":"schema"')) return;
          for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
          deleted = true;
        },
      });
      failure(run, 75, 'DB_VANISHED', new RegExp(`the database file ${db} was deleted, moved or replaced`));
      assert.equal((await runExample('file-import', args, { timeoutMs: 60_000 })).code, 0);
      assert.equal(tableRows(db, 'big', 'id').length, 100_000);
    });
});

describe('file-import: its table dropped or altered under the run', () => {
  // "no such table: main.big", "table big has no column named v": exit 1, UNEXPECTED, as if a bug in ferry.
  const changes: [string, string][] = [
    ['the table dropped', 'DROP TABLE big'],
    ['a column dropped', 'ALTER TABLE big DROP COLUMN v'],
  ];
  for (const [what, sql] of changes)
    it(`${what}: 75 TABLE_CHANGED, never 1; the rerun ends exact`, async () => {
      const w = await workspace();
      const db = path.join(w.dir, 'x.db');
      const big = path.join(w.dir, 'big.csv');
      await writeFile(big, `id,v\n${Array.from({ length: 100_000 }, (_, i) => `${i},value ${i}`).join('\n')}\n`);
      const args = ['--db-path', db, '--file', big, '--batch-size', '200', '--key', 'id'];
      let changed = false;
      const run = await runExample('file-import', args, {
        timeoutMs: 60_000,
        onOutput: (out) => {
          if (changed || !out.includes('"type":"schema"')) return;
          changed = true;
          const other = new DatabaseSync(db, { timeout: 10_000 });
          other.exec(sql);
          other.close();
        },
      });
      failure(run, 75, 'TABLE_CHANGED', /another program dropped or altered the table while the run wrote to it/);
      assert.equal((await runExample('file-import', args, { timeoutMs: 60_000 })).code, 0);
      const rows = tableRows(db, 'big', 'id');
      assert.deepEqual([rows.length, rows.filter((r) => r.v === `value ${String(r.id)}`).length], [100_000, 100_000]);
    });
});

describe('file-import: another program holds the database', () => {
  it('a write lock longer than --busy-timeout: 75; a longer --busy-timeout waits it out', async () => {
    const w = await workspace();
    const db = path.join(w.dir, 'x.db');
    assert.equal((await importInto(db, w.csv)).code, 0);
    const holder = new DatabaseSync(db);
    holder.exec('BEGIN IMMEDIATE');
    failure(await importInto(db, w.csv, ['--busy-timeout', '500ms']), 75, 'SQLITE_BUSY', /database is locked/);
    // Released 1.5 s after the patient run has started: it waits for the lock, then runs. The wait is the
    // subject (--busy-timeout is a clock), and a run blocked in SQLite's busy handler prints nothing to wait on.
    let release: NodeJS.Timeout | undefined;
    const patient = await runExample(
      'file-import',
      ['--db-path', db, '--file', w.csv, '--key', 'id', '--busy-timeout', '30s'],
      {
        timeoutMs: 60_000,
        onOutput: (out) =>
          void (out.includes('"type":"start"') && (release ??= setTimeout(() => holder.exec('ROLLBACK'), 1500))),
      },
    );
    assert.equal(patient.code, 0, patient.stderr);
    holder.close();
  });
});

const mountable = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a small tmpfs';
  try {
    execFileSync('unshare', ['-m', 'true']);
    return undefined;
  } catch {
    return 'cannot mount a tmpfs here';
  }
})();

describe('file-import: a full or read-only disk', { skip: mountable }, () => {
  /** Runs `test` with a tmpfs of `size` mounted at <workspace>/disk, unmounted after. */
  async function onTmpfs(size: string, test: (w: { dir: string; csv: string }, disk: string) => Promise<void>) {
    const w = await workspace();
    const disk = path.join(w.dir, 'disk');
    await mkdir(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', disk]);
    try {
      await test(w, disk);
    } finally {
      execFileSync('umount', ['-l', disk]);
    }
  }

  it('fails with 75 (never 1), again while still full, and the rerun with space left ends exact', () =>
    onTmpfs('400k', async (w, disk) => {
      const db = path.join(disk, 'x.db');
      const big = path.join(w.dir, 'big.csv');
      await writeFile(big, `id,v\n${Array.from({ length: 20_000 }, (_, i) => `${i},${'x'.repeat(60)}`).join('\n')}\n`);
      for (let attempt = 0; attempt < 2; attempt++) {
        const full = await importInto(db, big, ['--batch-size', '500']);
        const last = parseEventLines(full.stdout).at(-1);
        assert.ok(last?.type === 'result', `a result line, attempt ${attempt}: ${full.stderr}`);
        assert.equal(full.code, 75, `attempt ${attempt}: ${full.stderr}`);
        assert.match(last.error?.code ?? '', /^SQLITE_(FULL|IO)$/);
      }
      execFileSync('mount', ['-o', 'remount,size=20m', disk]);
      assert.equal((await importInto(db, big)).code, 0);
      assert.equal(tableRows(db, 'big', 'id').length, 20_000);
    }));

  /** Fills the disk mounted at `disk` to its last byte. */
  const fill = (disk: string) =>
    writeFile(path.join(disk, 'fill'), Buffer.alloc(4 << 20)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });

  // "disk I/O error" (SQLITE_IO), or "database or disk is full" of a disk with room: no word of which disk.
  it('full at the start, or TMPDIR full: 75 SQLITE_FULL naming the full disk; the rerun with room ends exact', () =>
    onTmpfs('1m', async (w, disk) => {
      const db = path.join(w.dir, 'x.db');
      // More than SQLite's page cache holds: the copies spill into a temporary file.
      const pad = 'x'.repeat(150);
      const rows = (name: string) => Array.from({ length: 20_000 }, (_, i) => `${i},${name} ${i} ${pad}`).join('\n');
      const [before, changed] = [path.join(w.dir, 'before', 'people.csv'), path.join(w.dir, 'after', 'people.csv')];
      for (const file of [before, changed]) await mkdir(path.dirname(file));
      await writeFile(before, `id,name\n${rows('name')}\n`);
      await writeFile(changed, `id,name\n${rows('renamed')}\n`);
      assert.equal((await importInto(db, before)).code, 0);
      await fill(disk);
      // The rows a batch changes are copied aside (to take them back if a guard fails): SQLite's temporary files.
      const withFullTmp = runExample('file-import', ['--db-path', db, '--file', changed, '--key', 'id'], {
        env: { TMPDIR: disk },
      });
      failure(
        await withFullTmp,
        75,
        'SQLITE_FULL',
        new RegExp(`the disk holding ${disk} is full \\(SQLite's temporary`),
      );
      await rm(path.join(disk, 'fill'));
      assert.equal((await importInto(db, changed)).code, 0);
      assert.deepEqual(
        tableRows(db, 'people', 'id').filter((r) => String(r.name).startsWith('renamed')).length,
        20_000,
      );

      const onDisk = path.join(disk, 'x.db');
      assert.equal((await importInto(onDisk, w.csv)).code, 0);
      await rm(`${onDisk}.file-import.lock`); // a run must make it again, and then the -shm grow, on a full disk
      await fill(disk);
      failure(await importInto(onDisk, w.csv), 75, 'SQLITE_FULL', new RegExp(`the disk holding ${disk} is full`));
      await rm(path.join(disk, 'fill'));
      assert.equal((await importInto(onDisk, w.csv)).code, 0);
      assert.equal(tableRows(onDisk, 'people', 'id').length, 50);
    }));

  // "unable to open database file": 75, retried for ever, as if a read-only disk would pass.
  it('a read-only mount: 65 saying so, for the run and check; the rerun once writable ends exact', () =>
    onTmpfs('2m', async (w, disk) => {
      const db = path.join(disk, 'x.db');
      assert.equal((await importInto(db, w.csv)).code, 0);
      execFileSync('mount', ['-o', 'remount,ro', disk]);
      failure(await importInto(db, w.csv), 65, 'SQLITE_READONLY', new RegExp(`${db} is on a read-only file system`));
      await checkFails(db, 65, 'SQLITE_READONLY', /is on a read-only file system/);
      execFileSync('mount', ['-o', 'remount,rw', disk]);
      assert.equal((await importInto(db, w.csv)).code, 0);
      assert.equal(tableRows(db, 'people', 'id').length, 50);
    }));
});
