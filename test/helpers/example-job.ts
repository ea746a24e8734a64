import path from 'node:path';
import { builtExample, builtImporters, bundledExample } from './built-examples.ts';
import { nodeOfMajor } from './node-major.ts';
import { ROOT, run, runJobFile, type Finished, type SpawnOptions } from './spawn.ts';

export type ExampleName = 'rest-import' | 'file-import';

// The end-to-end tests run the BUILT example executables with no Node reachable (PATH=/nonexistent),
// as a user's machine would. FERRY_E2E=source runs the sources instead, for a quick edit-test loop;
// FERRY_E2E=importers runs both through one executable built from the two (`importers <job> …`);
// FERRY_E2E=bundle runs `node <name>.mjs` (ferry build --bundle) on the Node of major FERRY_E2E_NODE
// (default 24, what Electron embeds), installed from the npm registry.
const FROM_SOURCE = process.env.FERRY_E2E === 'source';
const ONE_FOR_BOTH = process.env.FERRY_E2E === 'importers';
const BUNDLE = process.env.FERRY_E2E === 'bundle';
const BUNDLE_NODE = Number.parseInt(process.env.FERRY_E2E_NODE ?? '24', 10);

/** The executable and leading arguments that run an example job as users get it. */
async function executableOf(name: ExampleName): Promise<{ command: string; args: string[] }> {
  if (ONE_FOR_BOTH) return { command: await builtImporters(), args: [name] };
  if (BUNDLE) return { command: await nodeOfMajor(BUNDLE_NODE), args: [await bundledExample(name)] };
  return { command: await builtExample(name), args: [] };
}

/** Runs an example job as users get it: the single executable, without Node on the PATH. */
export async function runExample(
  name: ExampleName,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<Finished> {
  if (FROM_SOURCE) return runJobFile(path.join(ROOT, 'examples', name, `${name}.ts`), args, options);
  const { command, args: leading } = await executableOf(name);
  return run(command, [...leading, ...args], { ...options, env: { ...options.env, PATH: '/nonexistent' } });
}

/** How a host (the demo window) starts the example: the built executable. */
export async function sidecarFor(name: ExampleName): Promise<{ command: string; args: string[] }> {
  if (FROM_SOURCE)
    return {
      command: process.execPath,
      args: ['--conditions=source', path.join(ROOT, 'examples', name, `${name}.ts`)],
    };
  return executableOf(name);
}
