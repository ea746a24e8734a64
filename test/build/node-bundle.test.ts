// `ferry build --bundle`: the job as one .mjs for a host that already carries Node (an Electron app),
// run with `node job.mjs` on the Node major current Electron releases embed (24, from the npm
// registry) and on this one. The examples' end-to-end tests run through it with FERRY_E2E=bundle.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startJob } from 'ferry/host';
import { startDemoApi } from '../../examples/demo-api/demo-api.ts';
import { builtExample } from '../helpers/built-examples.ts';
import { nodeOfMajor } from '../helpers/node-major.ts';
import { parseEventLines } from '../helpers/protocol.ts';
import { ROOT, run } from '../helpers/spawn.ts';
import { tableRows } from '../examples/sqlite-rows.ts';

const NO_NODE_ON_PATH = { PATH: '/nonexistent' };
const scratch = () => mkdtemp(path.join(tmpdir(), 'ferry-node-bundle-'));
const example = (name: string) => path.join(ROOT, 'examples', name, `${name}.ts`);
const ferryBuild = (args: string[]) =>
  run(process.execPath, ['--conditions=source', path.join(ROOT, 'src/tool/bin.ts'), 'build', ...args], {
    timeoutMs: 120_000,
  });

describe('ferry build --bundle', async () => {
  const out = await scratch();
  const built = await ferryBuild([
    example('file-import'),
    example('rest-import'),
    '--name',
    'importers',
    '--bundle',
    '--out',
    out,
  ]);
  const bundle = path.join(out, 'importers.mjs');

  it('writes <name>.mjs and its .sha256, nothing else, and says what runs it', async () => {
    assert.equal(built.code, 0, built.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['importers.mjs', 'importers.mjs.sha256']);
    assert.match(
      built.stdout,
      /importers\.mjs {2}0\.\d MiB {2}sha256 [0-9a-f]{64} {2}\(for node importers\.mjs on Node >= 24\)\n$/,
    );
    assert.match(await readFile(`${bundle}.sha256`, 'utf8'), /^[0-9a-f]{64} {2}importers\.mjs\n$/);
  });

  it('with --target or --tauri: exit 64, nothing written', async () => {
    for (const flags of [['--target', 'win-x64'], ['--tauri']]) {
      const dir = await scratch();
      const refused = await ferryBuild([example('rest-import'), '--bundle', '--out', dir, ...flags]);
      assert.equal(refused.code, 64, refused.stderr);
      assert.match(refused.stderr, /--bundle writes one \.mjs for `node` on any platform, not executables: drop --/);
      assert.deepEqual(await readdir(dir), []);
    }
  });

  for (const major of [24, Number.parseInt(process.versions.node, 10)]) {
    it(`on Node ${major}: the jobs run as their single executables do, with no warning`, async () => {
      const node = await nodeOfMajor(major);
      const version = await run(node, ['--version'], { env: NO_NODE_ON_PATH });
      assert.match(version.stdout, new RegExp(`^v${major}\\.`));
      const dir = await scratch();
      const csv = path.join(dir, 'people.csv');
      await writeFile(csv, 'id,name\n1,Ada\n2,Grace\n3,Edsger\n');
      const viaBundle = await run(
        node,
        [bundle, 'file-import', '--file', csv, '--key', 'id', '--db-path', path.join(dir, 'a.db')],
        { env: NO_NODE_ON_PATH, cwd: dir },
      );
      const viaExecutable = await run(
        await builtExample('file-import'),
        ['--file', csv, '--key', 'id', '--db-path', path.join(dir, 'b.db')],
        { env: NO_NODE_ON_PATH, cwd: dir, timeoutMs: 60_000 },
      );
      assert.deepEqual([viaBundle.code, viaBundle.stderr], [0, ''], 'exit 0, nothing on stderr');
      assert.equal(parseEventLines(viaBundle.stdout).at(-1)?.type, 'result');
      assert.deepEqual(
        tableRows(path.join(dir, 'a.db'), 'people', 'id'),
        tableRows(path.join(dir, 'b.db'), 'people', 'id'),
      );
      assert.equal(viaExecutable.code, 0);
    });

    it(`on Node ${major}: ferry/host starts it as an Electron main process would (its own Node, the .mjs)`, async () => {
      await using api = await startDemoApi({ records: 250 });
      const db = path.join(await scratch(), 'host.db');
      const result = await startJob(await nodeOfMajor(major), {
        args: [bundle, 'rest-import'],
        config: { apiUrl: api.url, dbPath: db },
        env: NO_NODE_ON_PATH,
      }).result;
      assert.deepEqual([result.status, result.counts.inserted], ['succeeded', 250], result.lastStderr);
    });
  }
});
