import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RetryableError } from '../errors/errors.ts';
import type { Target } from './targets.ts';
import { extractFromTgz } from './tgz.ts';
import { runTool } from './tools.ts';

/** Where downloaded Node binaries and prepared (stripped) copies are kept between builds. */
export function defaultCacheDir(env: NodeJS.ProcessEnv, platform: string = process.platform): string {
  if (env.FERRY_CACHE_DIR) return env.FERRY_CACHE_DIR;
  if (platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'ferry', 'Cache');
  if (platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'ferry');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ferry');
}

export interface DownloadOptions {
  cacheDir: string;
  /** The Node version to fetch: the one running the build, as the blob must match the binary. */
  version: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: (line: string) => void;
}

/**
 * The official Node binary of a platform, from the npm registry's node-<os>-<arch> package
 * (`npm pack`, so the user's registry, proxy and integrity checks apply), cached under
 * <cacheDir>/node/<package>-<version>/.
 */
export async function downloadNode(target: Target, options: DownloadOptions): Promise<string> {
  const spec = `${target.npmPackage}@${options.version}`;
  const dir = path.join(options.cacheDir, 'node', `${target.npmPackage}-${options.version}`);
  const binary = path.join(dir, path.basename(target.binaryInPackage));
  if (existsSync(binary)) return binary;

  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(path.join(dir, '.download-'));
  try {
    options.log(`downloading ${spec} (npm pack) into ${dir}`);
    let packed;
    try {
      packed = await runTool('npm', ['pack', spec, '--json', '--pack-destination', scratch], {
        env: options.env,
        cwd: options.cwd,
      });
    } catch (error) {
      throw new RetryableError(
        `cannot download ${spec}: npm did not start (${(error as Error).message}); install npm, or pass --node-binary with a Node ${options.version} binary for ${target.id}`,
        { code: 'NODE_DOWNLOAD_FAILED', cause: error },
      );
    }
    if (packed.code !== 0) {
      throw new RetryableError(
        `cannot download ${spec}: npm pack exited ${packed.code}:\n${npmErrors(packed.stderr)}\nCheck the network and the npm registry, or pass --node-binary with a Node ${options.version} binary for ${target.id}`,
        { code: 'NODE_DOWNLOAD_FAILED' },
      );
    }
    const [info] = JSON.parse(packed.stdout) as { filename: string; version: string }[];
    if (!info || info.version !== options.version)
      throw new RetryableError(`npm pack ${spec} gave ${info?.version ?? 'nothing'}, not ${options.version}`, {
        code: 'NODE_DOWNLOAD_FAILED',
      });
    const partial = path.join(scratch, path.basename(binary));
    const found = await extractFromTgz(
      path.join(scratch, path.basename(info.filename)),
      `package/${target.binaryInPackage}`,
      partial,
    );
    if (!found)
      throw new RetryableError(
        `${spec} has no package/${target.binaryInPackage}: the package's layout changed; pass --node-binary instead`,
        { code: 'NODE_DOWNLOAD_FAILED' },
      );
    await rename(partial, binary); // whole or absent: an interrupted download leaves nothing to trust
    return binary;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** npm's own summary of a failure (code, message), without its stack trace and warnings. */
function npmErrors(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((line) => /^npm (error|ERR!)/.test(line) && !/^npm (error|ERR!)\s+at /.test(line));
  return (lines.length > 0 ? lines : stderr.trim().split('\n')).slice(0, 6).join('\n');
}
