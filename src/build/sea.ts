import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, PermanentError } from '../errors/errors.ts';
import { runTool, tail } from './tools.ts';

/** `node --build-sea` came in 25.5; an ES module as the main script in 25.7. */
const MIN_NODE: readonly [number, number] = [25, 7];

/** Throws unless this Node can build a single executable from an ES module bundle. */
export function checkNodeVersion(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return;
  throw new ConfigError(
    `ferry build needs Node >= ${MIN_NODE.join('.')} (it runs node --build-sea with an ES module); this is Node ${version}. ` +
      'Run it with a newer Node, e.g. npx -p node@26 ferry build …, or the `node` devDependency through an npm script. ' +
      'The executable carries that Node; the job itself still runs on Node >= 24 without it.',
    { code: 'NODE_TOO_OLD' },
  );
}

export interface SeaOptions {
  /** The bundled ES module. */
  main: string;
  /** The Node binary to inject into: same version as the Node running this. */
  executable: string;
  output: string;
  codeCache: boolean;
  /** Where the config file goes. */
  configFile: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Makes the single executable with this Node's `--build-sea`. The config keeps start-up quiet
 * and the command line the job's own:
 * - disableExperimentalSEAWarning: no ExperimentalWarning on stderr at every start;
 * - execArgv ["--"]: Node scans the whole command line for --env-file (and exits 9 when the file
 *   is missing, nodejs/node#54232) but stops at "--"; the job reads --env-file itself;
 * - execArgvExtension "none": NODE_OPTIONS from the caller's environment does not reach the
 *   embedded Node (no stray --require or --inspect in a shipped sidecar);
 * - --max-semi-space-size=8 (MiB): V8 grows its young generation with the allocation rate while a job
 *   streams records through batches; capped, the heap stays flat and small, which matters in a
 *   sidecar beside a desktop app (docs/building.md has the runs that chose 8 over 16 and none).
 */
export const SEMI_SPACE_MIB = 8;

export async function buildSea(options: SeaOptions): Promise<{ codeCache: boolean }> {
  const major = Number.parseInt(process.versions.node, 10);
  const config = {
    // Relative, with the build run where the bundle is: the blob records this path, and a
    // temporary directory's name in it would make every build differ (and leak the build machine's paths).
    main: path.basename(options.main),
    mainFormat: 'module',
    executable: path.resolve(options.executable),
    output: path.resolve(options.output),
    disableExperimentalSEAWarning: true,
    // Code cache for an ES module main landed during 25.x; 26 has it.
    useCodeCache: options.codeCache && major >= 26,
    execArgv: [`--max-semi-space-size=${SEMI_SPACE_MIB}`, '--'],
    execArgvExtension: 'none',
  };
  await writeFile(options.configFile, `${JSON.stringify(config, null, 2)}\n`);
  const { NODE_OPTIONS: _ignored, ...env } = options.env;
  const run = await runTool(process.execPath, ['--build-sea', path.resolve(options.configFile)], {
    env,
    cwd: path.dirname(options.main),
  });
  if (run.code !== 0) {
    throw new PermanentError(`node --build-sea failed (exit ${run.code}):\n${tail(`${run.stdout}\n${run.stderr}`)}`, {
      code: 'SEA_BUILD_FAILED',
    });
  }
  return { codeCache: config.useCodeCache };
}
