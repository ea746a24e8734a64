import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { MACHINE_ENV } from '../helpers/machine-shell.ts';
import { ROOT, run } from '../helpers/spawn.ts';
import { tableRows } from './sqlite-rows.ts';

// The README's code is real: these files are typechecked, linted and (hello) run by the suite.
for (const example of ['examples/hello/hello.ts', 'examples/customers/customers.ts']) {
  it(`README shows ${example} as it is`, async () => {
    const [readme, code] = await Promise.all([
      readFile(path.join(ROOT, 'README.md'), 'utf8'),
      readFile(path.join(ROOT, example), 'utf8'),
    ]);
    assert.ok(readme.includes(`\`\`\`ts\n${code}\`\`\``), `README's block differs from ${example}`);
  });
}

it('the README store example runs through `ferry run` and keeps a bad email as a reject', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-readme-'));
  await writeFile(path.join(dir, 'c.csv'), 'email,since\na@x.io,2020\nbad,2021\n');
  const bin = path.join(ROOT, 'src/tool/bin.ts');
  const args = [
    '--conditions=source',
    bin,
    'run',
    path.join(ROOT, 'examples/customers/customers.ts'),
    '--file',
    path.join(dir, 'c.csv'),
    '--db-path',
    path.join(dir, 'c.db'),
    '--max-rejects',
    '1',
  ];
  const finished = await run(process.execPath, args);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(
    tableRows(path.join(dir, 'c.db'), 'customers', 'email').map((r) => r.email),
    ['a@x.io'],
  );
});

/** The lines of the README's first ```sh block after `heading`, without their trailing comments. */
function shellLines(readme: string, heading: string): string[] {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '');
}

/** What each quick-start command must print, besides exiting 0; a new command needs its line here. */
const QUICK_START: Record<string, RegExp> = {
  'npm start': /second run: incremental[\s\S]*exit 0: read 6, inserted 2, updated 3/,
  'npx ferry run examples/hello/hello.ts --name world': /"msg":"hello, world"[\s\S]*"type":"result".*"exitCode":0/,
  'npm exec -- node examples/hello/hello.ts --name world': /"msg":"hello, world"[\s\S]*"type":"result".*"exitCode":0/,
  'npx ferry run examples/hello/hello.ts --help': /--name <string> +who to greet \[env NAME; required/,
  'npx ferry run examples/hello/hello.ts env-example': /^NAME=world$/m,
  'npx ferry verify examples/customers/customers.ts --trials 2 -- --file examples/customers/customers.csv':
    /^✔ reference run: .*customers: 3 rows[\s\S]*^retry-safe: all 5 checks hold$/m,
};

it("the README quick start runs as printed, from the machine's shell, each command on the pinned Node and without npm warnings", async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const commands = shellLines(readme, '## Quick start');
  assert.deepEqual(commands, Object.keys(QUICK_START), 'the quick start and this test list the same commands');
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-quick-start-'));
  for (const command of commands) {
    // DB_PATH keeps the demo's database out of the checkout.
    const finished = await run('sh', ['-c', command], {
      env: { ...MACHINE_ENV, DB_PATH: path.join(dir, 'demo.db') },
      timeoutMs: 120_000,
    });
    const printed = `${command} exited ${finished.code ?? finished.signal}:\n${finished.stdout}\n${finished.stderr}`;
    assert.equal(finished.code, 0, printed);
    assert.match(finished.stdout, QUICK_START[command] ?? /$^/, printed);
    assert.doesNotMatch(finished.stderr, /npm warn|npm WARN/, printed);
  }
});

it("the set-up's npm ci, on the machine's Node, prints no EBADENGINE warning (a dry run: nothing is reinstalled)", async () => {
  const setup = shellLines(await readFile(path.join(ROOT, 'README.md'), 'utf8'), '## Set-up');
  assert.deepEqual(setup, ['npm ci', 'npm test']);
  const finished = await run('sh', ['-c', 'npm ci --dry-run --no-audit --no-fund'], {
    env: MACHINE_ENV,
    timeoutMs: 120_000,
  });
  assert.equal(finished.code, 0, finished.stderr);
  assert.doesNotMatch(finished.stderr, /EBADENGINE/);
});
