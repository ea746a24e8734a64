// The example jobs as single executables, built once and cached by content: the bundle's sha256,
// the Node that builds them and src/build itself. A test run pays for a build only when one of
// them changed; test files that ask at the same time share the build.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildJob, bundleJob, hostTarget, makeExecutable } from '../../src/build/index.ts';
import { ROOT } from './spawn.ts';

/** Build outputs, by content hash. */
export const BUILD_CACHE = path.join(ROOT, 'node_modules/.cache/ferry-build');
/** Downloaded Node binaries and stripped copies (FERRY_CACHE_DIR of the builds the tests make). */
export const NODE_CACHE = path.join(ROOT, 'node_modules/.cache/ferry');

const building = new Map<string, Promise<string>>();

const exampleEntry = (name: string) => path.join(ROOT, 'examples', name, `${name}.ts`);

/** The path of examples/<name>/<name>.ts built as a single executable for this machine. */
export function builtExample(name: string): Promise<string> {
  return cached(name, () => buildCached([exampleEntry(name)], name));
}

/** The name of the executable that carries both examples: `importers rest-import …`. */
export const IMPORTERS = 'importers';

/** file-import and rest-import built as one executable, as `ferry build a.ts b.ts --name importers` does. */
export function builtImporters(): Promise<string> {
  return cached(IMPORTERS, () => buildCached(['file-import', 'rest-import'].map(exampleEntry), IMPORTERS));
}

function cached(name: string, build: () => Promise<string>): Promise<string> {
  let built = building.get(name);
  if (!built) {
    built = build();
    building.set(name, built);
  }
  return built;
}

async function buildCached(entry: readonly string[], name: string): Promise<string> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ferry-built-example-'));
  try {
    const bundle = await bundleJob({
      entry,
      name,
      outfile: path.join(scratch, `${name}.mjs`),
      conditions: ['source'],
    });
    const key = createHash('sha256')
      .update([bundle.sha256, process.version, await nodeIdentity(), await buildCodeHash()].join('\0'))
      .digest('hex')
      .slice(0, 20);
    const target = hostTarget();
    const binary = path.join(BUILD_CACHE, key, `${name}${target.suffix}`);
    if (existsSync(binary)) return binary;
    await mkdir(path.dirname(binary), { recursive: true });
    // makeExecutable writes to a temporary name and renames: a reader never sees half a binary.
    await makeExecutable(bundle, target, binary, { cacheDir: NODE_CACHE, env: process.env, cwd: ROOT });
    await pruneOldBuilds();
    return binary;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Keeps the newest builds (~110 MB each): older ones are for sources that have changed since. */
async function pruneOldBuilds(keep = 6): Promise<void> {
  const entries = await Promise.all(
    (await readdir(BUILD_CACHE)).map(async (name) => ({
      name,
      mtimeMs: (await stat(path.join(BUILD_CACHE, name))).mtimeMs,
    })),
  );
  for (const old of entries.sort((a, b) => b.mtimeMs - a.mtimeMs).slice(keep))
    await rm(path.join(BUILD_CACHE, old.name), { recursive: true, force: true });
}

async function nodeIdentity(): Promise<string> {
  const { size, mtimeMs } = await stat(process.execPath);
  return `${process.execPath}:${size}:${mtimeMs}`;
}

/** A change to how executables are made (the SEA config, stripping) must not reuse old builds. */
async function buildCodeHash(): Promise<string> {
  const dir = path.join(ROOT, 'src/build');
  const hash = createHash('sha256');
  for (const file of (await readdir(dir)).sort()) hash.update(file).update(await readFile(path.join(dir, file)));
  return hash.digest('hex');
}

/** examples/<name>/<name>.ts as `ferry build --bundle` writes it: one .mjs for `node <name>.mjs` on Node >= 24. */
export function bundledExample(name: string): Promise<string> {
  return cached(`${name}.mjs`, async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-bundled-example-'));
    await chmod(outDir, 0o755); // 0700 from mkdtemp: a test runs the job as another user (sqlite-faults)
    const built = await buildJob({
      entry: exampleEntry(name),
      outDir,
      nodeBundle: true,
      conditions: ['source'],
      cacheDir: NODE_CACHE,
      env: process.env,
      cwd: ROOT,
    });
    if (!built.nodeBundle) throw new Error('buildJob wrote no bundle');
    return built.nodeBundle.file;
  });
}
