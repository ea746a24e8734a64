import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT, run } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

// The README's code is real: these files are typechecked, linted and (hello) run by the suite.
for (const example of ['examples/hello/hello.ts', 'examples/customers/customers.ts']) {
  it(`README shows ${example} as it is`, async () => {
    const [readme, code] = await Promise.all([readFile(path.join(ROOT, 'README.md'), 'utf8'), readFile(path.join(ROOT, example), 'utf8')]);
    assert.ok(readme.includes(`\`\`\`ts\n${code}\`\`\``), `README's block differs from ${example}`);
  });
}

it('the README store example runs through `ferry run` and keeps a bad email as a reject', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-readme-'));
  await writeFile(path.join(dir, 'c.csv'), 'email,since\na@x.io,2020\nbad,2021\n');
  const bin = path.join(ROOT, 'src/cli/bin.ts');
  const args = ['--conditions=source', bin, 'run', path.join(ROOT, 'examples/customers/customers.ts'), '--file', path.join(dir, 'c.csv'), '--db-path', path.join(dir, 'c.db'), '--max-rejects', '1'];
  const finished = await run(process.execPath, args);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(tableRows(path.join(dir, 'c.db'), 'customers', 'email').map((r) => r.email), ['a@x.io']);
});
