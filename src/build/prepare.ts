import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Target } from './targets.ts';
import { runTool } from './tools.ts';

export interface Prepared {
  /** The binary to inject into: a prepared copy, or the original when nothing was done. */
  file: string;
  /** What was done to the copy, e.g. "stripped (llvm-strip --strip-all)"; undefined when nothing. */
  done: string | undefined;
  /** Why something that should have been done was not, and what it means for the output. */
  notes: string[];
}

export interface PrepareOptions {
  cacheDir: string;
  strip: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Readies a COPY of a Node binary for injection, cached by the original's identity:
 * Linux: strip the symbols and debug info (a third of the file). Stripping after injection would
 * cut the application out, so it happens here, before. Windows: remove node.exe's Authenticode
 * signature, which injection would leave behind invalid. macOS: drop the local symbols only
 * (`strip -x`, as Apple ships executables); every exported and undefined symbol
 * stays. The injection drops the signature; the output must be signed again (docs/building.md).
 */
export async function prepareBinary(original: string, target: Target, options: PrepareOptions): Promise<Prepared> {
  if (target.binaryFormat === 'elf' && options.strip) {
    return cached(original, 'strip', options, (dest) => stripCopy(original, dest, target, options.env));
  }
  if (target.binaryFormat === 'macho' && options.strip) {
    return cached(original, 'strip-local', options, (dest) => stripLocalSymbols(original, dest, options.env));
  }
  if (target.binaryFormat === 'pe') {
    return cached(original, 'unsign', options, (dest) => unsignCopy(original, dest, options.env));
  }
  return { file: original, done: undefined, notes: [] };
}

type Attempt = { done: string } | { failed: string };

async function cached(
  original: string,
  step: string,
  options: PrepareOptions,
  make: (dest: string) => Promise<Attempt>,
): Promise<Prepared> {
  const { size, mtimeMs } = await stat(original);
  const key = createHash('sha256')
    .update(`${path.resolve(original)}\0${size}\0${mtimeMs}\0${step}`)
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(options.cacheDir, 'prepared', key);
  const file = path.join(dir, path.basename(original));
  const doneFile = `${file}.done`;
  if (existsSync(file) && existsSync(doneFile)) {
    return { file, done: await readFile(doneFile, 'utf8'), notes: [] };
  }
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(path.join(dir, '.prepare-'));
  try {
    const partial = path.join(scratch, path.basename(original));
    const attempt = await make(partial);
    if ('failed' in attempt) return { file: original, done: undefined, notes: [attempt.failed] };
    await writeFile(path.join(scratch, 'done'), attempt.done);
    await rename(partial, file);
    await rename(path.join(scratch, 'done'), doneFile);
    return { file, done: attempt.done, notes: [] };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** llvm-strip reads every architecture; Debian's binutils strip only its own (not aarch64 on x64). */
function stripTools(target: Target): string[] {
  const gnu = target.arch === 'arm64' ? 'aarch64-linux-gnu-strip' : 'x86_64-linux-gnu-strip';
  return ['llvm-strip', gnu, 'strip'];
}

async function stripCopy(original: string, dest: string, target: Target, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const tried: string[] = [];
  for (const tool of stripTools(target)) {
    const run = await runTool(tool, ['--strip-all', '-o', dest, original], { env }).catch(() => undefined);
    if (run?.code === 0) return { done: `stripped (${tool} --strip-all)` };
    tried.push(run ? `${tool}: ${run.stderr.trim().split('\n')[0] ?? `exit ${run.code}`}` : `${tool}: not found`);
    await rm(dest, { force: true });
  }
  return {
    failed: `not stripped: no strip tool here reads ${target.id} ELF (${tried.join('; ')}); the executable is ~32 MB bigger. Install llvm (llvm-strip) or binutils for ${target.arch}.`,
  };
}

/** Only llvm-strip reads Mach-O here; `-x` keeps the global symbols, the export trie and every load command. */
async function stripLocalSymbols(original: string, dest: string, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const run = await runTool('llvm-strip', ['-x', '-o', dest, original], { env }).catch(() => undefined);
  if (run?.code === 0) return { done: 'local symbols stripped (llvm-strip -x)' };
  await rm(dest, { force: true });
  const why = run
    ? `llvm-strip failed: ${run.stderr.trim().split('\n')[0] ?? `exit ${run.code}`}`
    : 'llvm-strip not found';
  return {
    failed: `not stripped (${why}): the executable is ~36 MB bigger. Install llvm (llvm-strip) to strip macOS binaries.`,
  };
}

async function unsignCopy(original: string, dest: string, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const run = await runTool('osslsigncode', ['remove-signature', '-in', original, '-out', dest], { env }).catch(
    () => undefined,
  );
  if (run?.code === 0) return { done: 'signature removed (osslsigncode remove-signature)' };
  await rm(dest, { force: true });
  const why = run
    ? `osslsigncode failed: ${run.stderr.trim().split('\n').at(-1) ?? `exit ${run.code}`}`
    : 'osslsigncode not found';
  return {
    failed: `node.exe's Authenticode signature was not removed (${why}): the output carries it, now invalid. Remove it (signtool remove /s, or osslsigncode remove-signature) before you sign the executable; see docs/building.md.`,
  };
}
