// ferry as a user installs it: packed, installed into a fresh project from the tarball, and every
// entry of package.json's "exports" imported there, at run time and by TypeScript.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { FERRY_VERSION } from 'ferry';
import { MACHINE_ENV, MACHINE_PATH } from '../helpers/machine-shell.ts';
import { packFerry } from '../helpers/packed-ferry.ts';
import { ROOT, run } from '../helpers/spawn.ts';

interface Manifest {
  exports: Record<string, string | { source?: string; types?: string; default: string }>;
  bin: Record<string, string>;
}

const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
/** Each entry as an import specifier: `.` → `ferry`, `./http` → `ferry/http`. */
const ENTRIES = Object.keys(manifest.exports).map((key) => (key === '.' ? 'ferry' : `ferry/${key.slice(2)}`));
const CODE = ENTRIES.filter((entry) => !entry.endsWith('.json'));

const scratch = await mkdtemp(path.join(tmpdir(), 'ferry-packed-'));
after(() => rm(scratch, { recursive: true, force: true }));
const project = path.join(scratch, 'project');
const tarball = await packFerry(scratch);
await mkdir(project);
await writeFile(
  path.join(project, 'package.json'),
  JSON.stringify({ name: 'uses-ferry', private: true, type: 'module' }),
);
// From npm's cache where it can (the checkout's own install filled it); no script runs.
const installed = await run(
  'npm',
  ['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
  { cwd: project, env: MACHINE_ENV, timeoutMs: 180_000 },
);
assert.equal(installed.code, 0, installed.stderr);

/** The names each entry exports, imported by a module in the project on the given Node. */
async function exportedNames(node: string, entries: readonly string[]): Promise<Record<string, string[]>> {
  const script = `const names = {};
for (const entry of ${JSON.stringify(entries)}) {
  const module = entry.endsWith('.json') ? await import(entry, { with: { type: 'json' } }) : await import(entry);
  names[entry] = Object.keys(module).sort();
}
console.log(JSON.stringify(names));`;
  await writeFile(path.join(project, 'import-all.mjs'), script);
  const imported = await run(node, ['import-all.mjs'], { cwd: project });
  assert.equal(imported.code, 0, imported.stderr);
  return JSON.parse(imported.stdout) as Record<string, string[]>;
}

it('every entry of "exports" imports from the installed package, with the names its source exports', async () => {
  const packed = await exportedNames(process.execPath, ENTRIES);
  assert.deepEqual(Object.keys(packed), ENTRIES);
  for (const entry of CODE) {
    const source = Object.keys((await import(entry)) as object).sort();
    assert.ok(source.length > 0, `${entry} exports something`);
    assert.deepEqual(packed[entry], source, `${entry}: the packed module exports what its source does`);
  }
  assert.deepEqual(packed['ferry/package.json'], ['default']);
});

it('every file "exports" and "bin" name is in the package', () => {
  const named = [
    ...Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : [target.types, target.default].filter((f) => f !== undefined),
    ),
    ...Object.values(manifest.bin),
  ];
  const missing = named.filter((file) => !existsSync(path.join(project, 'node_modules/ferry', file)));
  assert.deepEqual(missing, []);
});

it('TypeScript resolves every entry to its declarations, and they check without skipLibCheck', async () => {
  const imports = CODE.map((entry, i) => `import * as m${i} from '${entry}';`);
  await writeFile(
    path.join(project, 'uses.ts'),
    [...imports, `export const all = [${CODE.map((_, i) => `m${i}`)}];`, ''].join('\n'),
  );
  const tsconfig = {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2024',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules/@types')],
    },
    files: ['uses.ts'],
  };
  await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  const checked = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
    cwd: project,
    timeoutMs: 120_000,
  });
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
});

it('its bin: ferry --version', async () => {
  const bin = path.join(project, 'node_modules/.bin/ferry');
  const nodeDir = path.dirname(process.execPath);
  const finished = await run(bin, ['--version'], { env: { PATH: `${nodeDir}${path.delimiter}${MACHINE_PATH}` } });
  assert.deepEqual([finished.code, finished.stdout], [0, `${FERRY_VERSION}\n`], finished.stderr);
});

it("ferry/host and ferry/protocol load on the machine's older Node too", async (t) => {
  const old = '/usr/bin/node';
  if (!existsSync(old)) return t.skip(`${old} not present`);
  const packed = await exportedNames(old, ['ferry/host', 'ferry/protocol']);
  assert.ok(packed['ferry/host']?.includes('startJob') && packed['ferry/protocol']?.includes('parseEvent'));
});
