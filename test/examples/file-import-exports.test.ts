// Files as real tools write them, beyond the clean case: what a spreadsheet saves as CSV, exports
// joined into one file, database dumps. Each ends exact, or with its documented code and a
// message that says what to do.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runExample } from '../helpers/example-job.ts';
import { failsWith, parseEventLines } from '../helpers/protocol.ts';
import { tableRows, userColumns } from './sqlite-rows.ts';

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-exports-'));
  return {
    db: path.join(dir, 'x.db'),
    file: async (name: string, content: string) => (
      await writeFile(path.join(dir, name), content),
      path.join(dir, name)
    ),
  };
}
const importFile = (db: string, file: string, args: string[] = []) =>
  runExample('file-import', ['--db-path', db, '--file', file, '--log-format', 'json', ...args]);
const rejectLogs = (stdout: string) =>
  parseEventLines(stdout).flatMap((e) => (e.type === 'log' && e.msg.startsWith('rejected') ? [e.msg] : []));

describe('file-import: exports joined into one file', () => {
  it('a header line repeated mid-file is a reject naming it, not a row, and does not make the columns text', async () => {
    const w = await workspace();
    // `cat jan.csv feb.csv > q1.csv`: the second file's header lands among the rows.
    const file = await w.file(
      'q1.csv',
      'id,day,total\n1,2024-01-05,9.5\n2,2024-01-09,3\nid,day,total\n3,2024-02-01,7\n',
    );
    const failed = await importFile(w.db, file);
    failsWith(failed, 65, 'REJECTS_OVER_LIMIT', /row 3, line 4: row 3 repeats the header line/);
    const finished = await importFile(w.db, file, ['--max-rejects', '1']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(rejectLogs(finished.stdout), [
      `rejected ${file}, row 3, line 4: row 3 repeats the header line (files joined together?): it holds no record`,
    ]);
    assert.deepEqual(userColumns(tableRows(w.db, 'q1', 'id')), [
      { id: 1, day: '2024-01-05', total: 9.5 },
      { id: 2, day: '2024-01-09', total: 3 },
      { id: 3, day: '2024-02-01', total: 7 },
    ]);
  });
});
