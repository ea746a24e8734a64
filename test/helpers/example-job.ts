import path from 'node:path';
import { builtExample, builtImporters } from './built-examples.ts';
import { ROOT, run, runJobFile, type Finished, type SpawnOptions } from './spawn.ts';

export type ExampleName = 'rest-import' | 'file-import';

// The end-to-end tests run the BUILT example executables with no Node reachable (PATH=/nonexistent),
// as a user's machine would. FERRY_E2E=source runs the sources instead, for a quick edit-test loop;
// FERRY_E2E=importers runs both through one executable built from the two (`importers <job> …`).
const FROM_SOURCE = process.env.FERRY_E2E === 'source';
const ONE_FOR_BOTH = process.env.FERRY_E2E === 'importers';

/** The executable and leading arguments that run an example job as users get it. */
async function executableOf(name: ExampleName): Promise<{ command: string; args: string[] }> {
  if (ONE_FOR_BOTH) return { command: await builtImporters(), args: [name] };
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
