import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { MACHINE_ENV } from './machine-shell.ts';
import { ROOT, run } from './spawn.ts';

const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

/**
 * ferry as npm packs it, from the sources as they are: built into a staging folder of `scratch`
 * (the checkout's own dist/ is left alone: other test files run `npx ferry` from it), then
 * `npm pack`. Returns the tarball's path.
 */
export async function packFerry(scratch: string): Promise<string> {
  const stage = path.join(scratch, 'ferry-package');
  await mkdir(stage, { recursive: true });
  const built = await run(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', path.join(stage, 'dist')], {
    timeoutMs: 180_000,
  });
  if (built.code !== 0) throw new Error(`tsc exited ${built.code}:\n${built.stdout}${built.stderr}`);
  // What package.json's "files" names besides dist/ (npm adds package.json itself).
  for (const entry of ['package.json', 'README.md', 'docs', 'templates'])
    await cp(path.join(ROOT, entry), path.join(stage, entry), { recursive: true });
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', scratch], {
    cwd: stage,
    env: MACHINE_ENV,
  });
  if (packed.code !== 0) throw new Error(`npm pack exited ${packed.code}:\n${packed.stderr}`);
  return path.join(scratch, packed.stdout.trim().split('\n').at(-1) ?? '');
}
