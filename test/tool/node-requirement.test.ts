import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, it } from 'node:test';
import { build } from 'esbuild';
import { ROOT, run } from '../helpers/spawn.ts';

// The machine's own Node, older than jobs need: what a newcomer's `node_modules/.bin/ferry` meets.
const OLD_NODE = '/usr/bin/node';

it("on the machine's Node 20, ferry run and verify exit 64 saying which Node to use; --version and init still work", async (t) => {
  if (!existsSync(OLD_NODE)) return t.skip(`${OLD_NODE} not present`);
  const version = await run(OLD_NODE, ['--version']);
  if (Number.parseInt(version.stdout.slice(1), 10) >= 24)
    return t.skip(`${OLD_NODE} is ${version.stdout.trim()}, not older than jobs need`);
  // ferry's bin as npm installs it: ES modules, dynamic imports apart (split), dependencies from node_modules.
  await mkdir(path.join(ROOT, 'test-output'), { recursive: true });
  const out = await mkdtemp(path.join(ROOT, 'test-output', 'old-node-'));
  after(() => rm(out, { recursive: true, force: true }));
  await build({
    entryPoints: [path.join(ROOT, 'src/tool/bin.ts')],
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    outdir: out,
    logLevel: 'silent',
  });
  const bin = path.join(out, 'bin.js');
  const job = path.join(ROOT, 'examples/hello/hello.ts');
  for (const [command, args] of [
    ['run', [job, '--name', 'world']],
    ['verify', [job]],
  ] as const) {
    const finished = await run(OLD_NODE, [bin, command, ...args]);
    assert.equal(finished.code, 64, finished.stderr);
    assert.match(
      finished.stderr,
      new RegExp(
        `^ferry ${command}: jobs need Node >= 24; this is Node 20\\.\\d+\\.\\d+\\. Run ferry on the Node your project pins`,
      ),
    );
  }
  assert.equal((await run(OLD_NODE, [bin, '--version'])).code, 0);
  const help = await run(OLD_NODE, [bin, 'init', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /rest {3}jobs\/products\.ts/);
});
