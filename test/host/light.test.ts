import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { build } from 'esbuild';
import { ROOT, run } from '../helpers/spawn.ts';

// Electron's main process and older Nodes must be able to load ferry/host.
const OLD_NODE = '/usr/bin/node';

it("ferry/host bundles without node:sqlite or any dependency, and loads on the machine's Node 20", async (t) => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-host-')), 'host.mjs');
  const result = await build({
    entryPoints: [path.join(ROOT, 'src/host/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.deepEqual(
    inputs.filter((i) => i.includes('node_modules')),
    [],
    'no dependency',
  );
  assert.ok(!(await readFile(out, 'utf8')).includes('node:sqlite'));
  if (!existsSync(OLD_NODE))
    return t.skip(`${OLD_NODE} not present: the bundle was checked, not loaded on an old Node`);
  const loaded = await run(OLD_NODE, [
    '--input-type=module',
    '-e',
    `const h = await import(${JSON.stringify(out)}); console.log(process.version, typeof h.startJob, typeof h.parseEvent)`,
  ]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /^v\d+\.\d+\.\d+ function function\n$/);
});

it('ferry/protocol bundles for a browser: no Node built-in at all', async () => {
  const result = await build({
    entryPoints: [path.join(ROOT, 'src/host/protocol.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  assert.ok(code.includes('function parseEvent'), 'parseEvent is in the bundle');
  assert.doesNotMatch(code, /from\s*["']node:/);
});
