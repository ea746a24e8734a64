// `ferry init` as a newcomer uses it: a project made in a temporary folder, then npm install,
// npm test and npm run build there with the machine's own npm (and Node), then the built job run
// with no Node on the PATH. Each template is installed and built once.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { NODE_CACHE } from '../helpers/built-examples.ts';
import { MACHINE_ENV } from '../helpers/machine-shell.ts';
import { packFerry } from '../helpers/packed-ferry.ts';
import { ROOT, run, type Finished } from '../helpers/spawn.ts';
import { tableRows } from '../examples/sqlite-rows.ts';

const BIN = path.join(ROOT, 'src/tool/bin.ts');
// npm and node as a newcomer has them; the Node binaries ferry build strips are shared with the test builds'.
const ENV = { ...MACHINE_ENV, FERRY_CACHE_DIR: NODE_CACHE };

const scratch = await mkdtemp(path.join(tmpdir(), 'ferry-init-'));
after(() => rm(scratch, { recursive: true, force: true }));

// The projects install ferry as npm packs it. Linked by path (what init writes by default, tested
// apart below), each install would run ferry's prepare and rewrite this checkout's dist/ while
// other test files run `npx ferry` from it.
const TARBALL = await packFerry(scratch);

/** Runs a command in the project and fails the test with all it printed when it does not exit 0. */
async function step(dir: string, command: string, args: string[], timeoutMs: number): Promise<Finished> {
  const finished = await run(command, args, { cwd: dir, env: ENV, timeoutMs });
  assert.equal(
    finished.code,
    0,
    `${command} ${args.join(' ')} in ${dir} exited ${finished.code ?? finished.signal}:\n${finished.stdout}\n${finished.stderr}`,
  );
  return finished;
}

/** ferry init, then npm install, npm test and npm run build, as the project's README says. */
async function makeProject(
  template: string,
): Promise<{ dir: string; init: Finished; install: Finished; test: Finished }> {
  const init = await run(
    process.execPath,
    ['--conditions=source', BIN, 'init', template, '--template', template, '--ferry', `file:${TARBALL}`],
    { cwd: scratch },
  );
  assert.equal(init.code, 0, init.stderr);
  const dir = path.join(scratch, template);
  const install = await step(dir, 'npm', ['install', '--no-audit', '--no-fund'], 300_000);
  const test = await step(dir, 'npm', ['test'], 300_000);
  await step(dir, 'npm', ['run', 'build'], 300_000);
  return { dir, init, install, test };
}

/** The built job, with no Node reachable. */
function runBuilt(dir: string, job: string, args: string[]): Promise<Finished> {
  return run(path.join(dir, 'dist', job), [...args, '--db-path', path.join(dir, 'built.db'), '--log-format', 'json'], {
    cwd: dir,
    env: { PATH: '/nonexistent' },
  });
}

describe('ferry init', () => {
  it('rest: installs, tests, builds; the built job imports a local API with no Node on the PATH', async () => {
    const { dir, init, install, test } = await makeProject('rest');
    assert.match(init.stdout, /next: cd rest && npm install && npm test/);
    assert.doesNotMatch(
      install.stderr,
      /EBADENGINE|install scripts not yet covered/,
      "npm install is quiet on the machine's Node",
    );
    assert.match(test.stdout, /ℹ pass 2\nℹ fail 0/);
    assert.match(
      await readFile(path.join(dir, '.env.example'), 'utf8'),
      /^PRODUCTS_API_URL=https:\/\/api\.example\.com\/v1\/products$/m,
    );
    const products = JSON.parse(await readFile(path.join(dir, 'test/fixtures/products.json'), 'utf8')) as unknown[];
    const server = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify(products)),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/products`;
      const built = await runBuilt(dir, 'products', ['--api-url', url]);
      assert.equal(built.code, 0, built.stdout + built.stderr);
    } finally {
      server.close();
    }
    const rows = tableRows(path.join(dir, 'built.db'), 'products', 'id');
    assert.deepEqual(
      rows.map((r) => [r.id, r.name, r.price]),
      [
        ['1', 'Kettle', 24.5],
        ['2', 'Teapot', 18],
        ['3', 'Mug', 6.9],
        ['4', 'Tea towel', 4.25],
        ['5', 'Strainer', 3],
      ],
    );
  });

  it('file: installs, tests, builds; the built job imports the CSV fixture, its bad row a reject', async () => {
    const { dir, test } = await makeProject('file');
    assert.match(test.stdout, /ℹ pass 2\nℹ fail 0/);
    const built = await runBuilt(dir, 'customers', ['--file', 'test/fixtures/customers.csv', '--max-rejects', '1']);
    assert.equal(built.code, 0, built.stdout + built.stderr);
    assert.match(
      built.stdout.trimEnd().split('\n').at(-1) ?? '',
      /"counts":\{"read":5,"inserted":4,"updated":0,"unchanged":0,"deleted":0,"rejected":1\}/,
    );
    const emails = tableRows(path.join(dir, 'built.db'), 'customers', 'email').map((r) => r.email);
    assert.deepEqual(emails, ['ada@example.com', 'alan@example.com', 'grace@example.com', 'linus@example.com']);
  });

  it('blank: installs, tests, builds; the built job writes its items with no Node on the PATH', async () => {
    const { dir, test } = await makeProject('blank');
    assert.match(test.stdout, /ℹ pass 2\nℹ fail 0/);
    const built = await runBuilt(dir, 'my-import', ['--count', '4']);
    assert.equal(built.code, 0, built.stdout + built.stderr);
    assert.deepEqual(
      tableRows(path.join(dir, 'built.db'), 'items', 'id').map((r) => r.label),
      [1, 2, 3, 4].map((n) => `item number ${n}`),
    );
  });

  it('run from this checkout, it makes the project depend on the checkout by path, its build scripts allowed', async () => {
    const init = await run(process.execPath, ['--conditions=source', BIN, 'init', 'linked', '--template', 'blank'], {
      cwd: scratch,
    });
    assert.equal(init.code, 0, init.stderr);
    const manifest = JSON.parse(await readFile(path.join(scratch, 'linked/package.json'), 'utf8')) as {
      type: string;
      dependencies: Record<string, string>;
      allowScripts: Record<string, boolean>;
    };
    assert.equal(manifest.type, 'module');
    assert.equal(manifest.dependencies.ferry, `file:${ROOT}`);
    assert.equal(manifest.allowScripts[`file:${path.relative(path.join(scratch, 'linked'), ROOT)}`], true);
  });

  it('refuses a folder that is not empty (64), and says so', async () => {
    const finished = await run(process.execPath, ['--conditions=source', BIN, 'init', '.', '--template', 'blank'], {
      cwd: ROOT,
    });
    assert.equal(finished.code, 64);
    assert.match(
      finished.stderr,
      /^ferry init: \. is not empty: name a new folder \(ferry init creates it\) or an empty one\n$/,
    );
  });
});
