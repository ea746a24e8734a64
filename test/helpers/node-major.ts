// Node of an older major, for what must run on a Node other than this one (a --bundle output on the
// Node that Electron embeds): the npm `node` package at that major, installed once into the cache,
// never a project dependency.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { NODE_CACHE } from './built-examples.ts';
import { run } from './spawn.ts';

const installing = new Map<number, Promise<string>>();

/** The path of a `node` binary of this major version (the newest the registry has). */
export function nodeOfMajor(major: number): Promise<string> {
  if (major === Number.parseInt(process.versions.node, 10)) return Promise.resolve(process.execPath);
  let node = installing.get(major);
  if (!node) {
    node = install(major);
    installing.set(major, node);
  }
  return node;
}

async function install(major: number): Promise<string> {
  const dir = path.join(NODE_CACHE, `node-${major}`);
  const binary = (root: string) => path.join(root, 'node_modules/node/bin/node');
  if (existsSync(binary(dir))) return binary(dir);
  // Installed beside, then renamed: a test file installing at the same time finds a whole one or none.
  const partial = await mkdtemp(`${dir}.partial-`);
  await chmod(partial, 0o755); // mkdtemp makes it 0700: a test that runs the job as another user needs it
  const npm = await run(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', partial, `node@${major}`],
    {
      // npm as the user runs it: behind a proxy, its certificate (NODE_EXTRA_CA_CERTS) and settings come from the environment
      env: { ...(process.env as Record<string, string>), HOME: process.env.HOME ?? '/tmp' },
      timeoutMs: 300_000,
    },
  );
  if (npm.code !== 0 || !existsSync(binary(partial)))
    throw new Error(`npm could not install node@${major} (exit ${npm.code}): ${npm.stderr}`);
  await rename(partial, dir).catch(() => rm(partial, { recursive: true, force: true }));
  return binary(dir);
}
