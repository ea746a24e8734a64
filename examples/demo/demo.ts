// `npm start`: the demo import. Starts the demo API on 127.0.0.1, imports it into ./demo.db with
// rest-import (incremental on updatedAt), changes a few records and adds two, and imports again:
// the second run reads only what changed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoApi } from '../demo-api/demo-api.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const job = path.join(here, '../rest-import/rest-import.ts');
const dbPath = path.resolve(process.env.DB_PATH ?? 'demo.db');

await using api = await startDemoApi();
console.log(`demo API: ${api.url} (${api.records.size} records), database: ${dbPath}\n`);

await importOnce('first run: everything new (or unchanged, if demo.db exists)');
const touched = api.touch(['item-0003', 'item-0042', 'item-0200']).map((r) => r.id);
const added = api.add(2).map((r) => r.id);
console.log(`\nthe API changed ${touched.join(', ')} and added ${added.join(', ')}\n`);
await importOnce('second run: incremental, only what changed since the checkpoint');
console.log(
  `\nlook inside: sqlite3 ${path.relative(process.cwd(), dbPath)} 'select id, json_extract(data, "$.name") from items order by rowid desc limit 5'`,
);

function importOnce(title: string): Promise<void> {
  console.log(`── ${title}`);
  const args = [
    '--conditions=source',
    job,
    '--api-url',
    api.url,
    '--cursor-field',
    'updatedAt',
    '--db-path',
    dbPath,
    '--log-format',
    'pretty',
  ];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rest-import exited ${code}`))));
  });
}
