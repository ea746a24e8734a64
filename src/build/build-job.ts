import { chmod, copyFile, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors/errors.ts';
import { makeFolder } from '../errors/make-folder.ts';
import { bundleJob, jobName, type Bundle } from './bundle.ts';
import { sha256File, writeChecksumFile } from './checksum.ts';
import { downloadNode } from './node-binary.ts';
import { prepareBinary } from './prepare.ts';
import { buildSea, checkNodeVersion } from './sea.ts';
import { hostTarget, isHost, type Target } from './targets.ts';
import { runTool } from './tools.ts';

export interface BuildOptions {
  /** The job module, or several for one executable that runs each by name; see bundleJob. */
  entry: string | readonly string[];
  outDir: string;
  /** The executable's name; default: the job module's file name without extension. Required for several. */
  name?: string;
  /** Platforms to build for. Without them: this machine's, and the output is named plainly. */
  targets?: readonly Target[];
  /** Name outputs `name-<target triple>[.exe]`, as Tauri's externalBin expects. */
  tauri?: boolean;
  /** A Node binary to inject into instead of this Node or a downloaded one; one target only. */
  nodeBinary?: string;
  /** Strip a Linux binary's symbols and debug info before injection (default true). */
  strip?: boolean;
  /** Embed V8's code cache for the bundle (default true; host builds only). */
  codeCache?: boolean;
  /** Write `<name>.mjs`, the job for `node <name>.mjs` on any Node >= 24 (an Electron app's own), instead
   *  of executables with Node inside. */
  nodeBundle?: boolean;
  /** Package export conditions for bundling, e.g. ['source']. */
  conditions?: readonly string[];
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Progress and notes, one line each. */
  log?: (line: string) => void;
}

export interface Built {
  target: Target;
  file: string;
  bytes: number;
  sha256: string;
  checksumFile: string;
  /** Built for this machine with this Node (and so with code cache, unless turned off). */
  host: boolean;
  codeCache: boolean;
  /** What was done to the Node binary before injection, e.g. "stripped (llvm-strip --strip-all)". */
  prepared: string | undefined;
  /** Things the user must know or do, e.g. "sign it on macOS". */
  notes: string[];
  /** Wall time of the steps, ms: getting the Node binary, preparing it, injecting. */
  ms: { binary: number; prepare: number; inject: number };
}

export interface BuildResult {
  bundle: Bundle;
  bundleMs: number;
  outputs: Built[];
  /** With `nodeBundle`: the `.mjs` written, and its `.sha256`. */
  nodeBundle?: { file: string; checksumFile: string };
}

/** The oldest Node a `--bundle` output runs on: the Node of current Electron releases (docs/building.md). */
export const BUNDLE_NODE_MAJOR = 24;

/** Bundles a job and makes one single executable per target. */
export async function buildJob(options: BuildOptions): Promise<BuildResult> {
  if (options.nodeBundle === true) checkBundleFlags(options);
  else checkNodeVersion();
  const targets = options.targets ?? [hostTarget()];
  const entries = typeof options.entry === 'string' ? [options.entry] : options.entry;
  if (entries.length > 1 && options.name === undefined)
    throw new ConfigError(
      `${entries.length} job modules make one executable: name it with --name (e.g. --name importers); it then runs \`importers <job> …\``,
    );
  const name = options.name ?? path.parse(entries[0] ?? '').name;
  if (!/^[\w.-]+$/.test(name))
    throw new ConfigError(
      `--name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (a file name, no directory)`,
    );
  if (options.nodeBinary !== undefined && targets.length !== 1)
    throw new ConfigError('--node-binary is one binary for one target: pass a single --target with it');
  if (options.nodeBinary !== undefined && !(await stat(options.nodeBinary).catch(() => undefined))?.isFile())
    throw new ConfigError(`--node-binary ${options.nodeBinary}: no such file`);

  const scratch = await scratchFolder();
  try {
    const started = performance.now();
    const bundle = await bundleJob({
      entry: entries,
      name,
      outfile: path.join(scratch, `${name}.mjs`),
      ...(options.conditions ? { conditions: options.conditions } : {}),
      ...(options.nodeBundle === true ? { nodeMajor: BUNDLE_NODE_MAJOR } : {}),
    });
    const bundleMs = performance.now() - started;
    if (bundle.selfStarting)
      options.log?.(
        `${options.entry} has no default export: bundled as a program that starts itself (it must call runMain)`,
      );
    if (entries.length > 1) options.log?.(`${name} runs the jobs ${entries.map(jobName).join(', ')}: ${name} <job> …`);
    options.log?.(
      `bundled ${bundle.inputs.length} files into ${(bundle.bytes / 1024).toFixed(0)} KB in ${bundleMs.toFixed(0)} ms`,
    );
    await makeFolder(options.outDir, 'given by --out');
    if (options.nodeBundle === true)
      return { bundle, bundleMs, outputs: [], nodeBundle: await placeBundle(bundle, options.outDir) };
    const outputs: Built[] = [];
    for (const target of targets) {
      const file = path.join(
        options.outDir,
        outputName(name, target, { tauri: options.tauri === true, suffixed: options.targets !== undefined }),
      );
      outputs.push(await makeExecutable(bundle, target, file, options));
    }
    return { bundle, bundleMs, outputs };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** --bundle writes a file for any platform's Node: flags about executables make no sense with it. */
function checkBundleFlags(options: BuildOptions): void {
  const flags = [
    options.targets !== undefined && '--target',
    options.tauri === true && '--tauri',
    options.nodeBinary !== undefined && '--node-binary',
  ].filter(Boolean);
  if (flags.length > 0)
    throw new ConfigError(
      `--bundle writes one .mjs for \`node\` on any platform, not executables: drop ${flags.join(' and ')}, or build executables without --bundle`,
    );
}

/** The bundle as the output: `<outDir>/<name>.mjs` and its `.sha256`, never seen half-written. */
async function placeBundle(bundle: Bundle, outDir: string): Promise<{ file: string; checksumFile: string }> {
  const file = path.join(outDir, path.basename(bundle.file));
  await copyFile(bundle.file, `${file}.partial`);
  await rename(`${file}.partial`, file);
  return { file, checksumFile: await writeChecksumFile(file, bundle.sha256) };
}

/** `name`, `name-<target>` when targets were asked for, or `name-<triple>` for Tauri; `.exe` on Windows. */
export function outputName(name: string, target: Target, how: { tauri: boolean; suffixed: boolean }): string {
  const base = how.tauri ? `${name}-${target.triple}` : how.suffixed ? `${name}-${target.id}` : name;
  return `${base}${target.suffix}`;
}

export type MakeOptions = Pick<BuildOptions, 'nodeBinary' | 'strip' | 'codeCache' | 'cacheDir' | 'env' | 'cwd' | 'log'>;

/** Injects a bundle into a target's Node binary: `output`, its `.sha256`, and what it took. */
export async function makeExecutable(
  bundle: Bundle,
  target: Target,
  output: string,
  options: MakeOptions,
): Promise<Built> {
  checkNodeVersion();
  const log = options.log ?? (() => {});
  const version = process.versions.node;
  const host = isHost(target) && options.nodeBinary === undefined;
  const notes: string[] = [];

  let t = performance.now();
  const original =
    options.nodeBinary !== undefined
      ? await givenBinary(options.nodeBinary, target, version, options.env, notes)
      : host
        ? process.execPath
        : await downloadNode(target, { cacheDir: options.cacheDir, version, env: options.env, cwd: options.cwd, log });
  const binaryMs = performance.now() - t;

  t = performance.now();
  const prepared = await prepareBinary(original, target, {
    cacheDir: options.cacheDir,
    strip: options.strip !== false,
    env: options.env,
  });
  notes.push(...prepared.notes);
  const prepareMs = performance.now() - t;

  t = performance.now();
  const scratch = await mkdtemp(path.join(path.dirname(output), `.${path.basename(output)}.`));
  let codeCache: boolean;
  try {
    const partial = path.join(scratch, path.basename(output));
    ({ codeCache } = await buildSea({
      main: bundle.file,
      executable: prepared.file,
      output: partial,
      // V8's code cache is only good for the very V8 that made it: this Node's.
      codeCache: host && options.codeCache !== false,
      configFile: path.join(scratch, 'sea-config.json'),
      env: options.env,
    }));
    if (target.os !== 'win') await chmod(partial, 0o755);
    await rename(partial, output);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const injectMs = performance.now() - t;

  if (target.os === 'darwin')
    notes.push(
      `sign it before it can run on macOS: codesign --sign - ${path.basename(output)} (or with your Developer ID; see docs/building.md)`,
    );
  const sha256 = await sha256File(output);
  const checksumFile = await writeChecksumFile(output, sha256);
  for (const note of notes) log(`${target.id}: ${note}`);
  return {
    target,
    file: output,
    bytes: (await stat(output)).size,
    sha256,
    checksumFile,
    host,
    codeCache,
    prepared: prepared.done,
    notes,
    ms: { binary: binaryMs, prepare: prepareMs, inject: injectMs },
  };
}

/** A binary given with --node-binary: it must exist, and be this Node's version where we can ask it. */
async function givenBinary(
  file: string,
  target: Target,
  version: string,
  env: NodeJS.ProcessEnv,
  notes: string[],
): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new ConfigError(`--node-binary ${file}: no such file`);
  if (!isHost(target)) {
    notes.push(
      `--node-binary not checked: a ${target.id} binary cannot run here; it must be Node ${version}, like the Node running ferry build`,
    );
    return file;
  }
  const run = await runTool(file, ['--version'], { env }).catch((error: Error) => ({
    code: null,
    stdout: '',
    stderr: error.message,
  }));
  if (run.stdout.trim() !== `v${version}`) {
    throw new ConfigError(
      `--node-binary ${file} is ${run.stdout.trim() || `not runnable (${run.stderr.trim()})`}, not v${version}: the application blob only runs on the Node version that made it; run ferry build with that Node, or pass a v${version} binary`,
    );
  }
  return file;
}

/**
 * The build's temporary folder, in TMPDIR. A TMPDIR that is missing, a file or not writable (a CI
 * runner's or a unit's PrivateTmp setting) is said as such; it was an "unexpected error", exit 1.
 */
async function scratchFolder(): Promise<string> {
  const folder = os.tmpdir();
  try {
    return await mkdtemp(path.join(folder, 'ferry-build-'));
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (!['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS'].includes(code ?? '')) throw error;
    throw new ConfigError(
      `ferry build works in a temporary folder, and ${folder} (TMPDIR) cannot hold one (${code}): ` +
        'set TMPDIR to a folder you can write to',
      { code: 'TMPDIR_INVALID', cause: error },
    );
  }
}
