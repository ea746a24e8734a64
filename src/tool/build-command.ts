import type { Command } from 'commander';
import { exitCodeFor } from '../errors/exit-codes.ts';

interface BuildFlags {
  target: string[];
  out: string;
  name?: string;
  tauri?: boolean;
  nodeBinary?: string;
  strip: boolean;
  codeCache: boolean;
  bundle?: boolean;
}

/** `ferry build <job...>`: one executable per target, Node inside, carrying one job or several (docs/building.md). */
export function addBuildCommand(program: Command): void {
  program
    .command('build')
    .description('bundle a job, or several, into a single executable that needs no Node.js (docs/building.md)')
    .argument(
      '<jobs...>',
      'the job module (its default export), e.g. ./jobs/import.ts; several make one executable that runs `<name> <job> …` (--name needed)',
    )
    .option(
      '--target <targets>',
      'platforms, comma-separated: linux-x64, linux-arm64, win-x64, darwin-x64, darwin-arm64 (default: this machine)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--out <dir>', 'the directory to write to', 'dist')
    .option('--name <name>', "the executable's name (default: the job module's file name)")
    .option('--tauri', "name outputs <name>-<target triple>[.exe], as Tauri's externalBin expects")
    .option(
      '--node-binary <path>',
      'inject into this Node binary (the same version as this Node) instead of this Node or a downloaded one',
    )
    .option('--no-strip', "keep the Linux Node binary's symbols and debug info (~32 MB)")
    .option('--no-code-cache', "don't embed V8 code cache (host builds have it)")
    .option('--bundle', 'write <name>.mjs, run with `node <name>.mjs` on Node >= 24 (an Electron app), no Node inside')
    .exitOverride()
    .action(async (entries: string[], flags: BuildFlags) => {
      const log = (line: string) => process.stderr.write(`ferry build: ${line}\n`);
      try {
        // Loaded here: `ferry run` should not pay for esbuild.
        const { buildJob, defaultCacheDir, describeBuilt, describeBundle, nodeConditions, parseTargets } =
          await import('../build/index.ts');
        const result = await buildJob({
          entry: entries,
          outDir: flags.out,
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(flags.target.length > 0 ? { targets: parseTargets(flags.target) } : {}),
          tauri: flags.tauri === true,
          ...(flags.nodeBinary !== undefined ? { nodeBinary: flags.nodeBinary } : {}),
          strip: flags.strip,
          codeCache: flags.codeCache,
          nodeBundle: flags.bundle === true,
          conditions: nodeConditions(process.execArgv, process.env.NODE_OPTIONS),
          cacheDir: defaultCacheDir(process.env),
          env: process.env,
          cwd: process.cwd(),
          log,
        });
        for (const built of result.outputs) process.stdout.write(describeBuilt(built, process.cwd()));
        if (result.nodeBundle)
          process.stdout.write(describeBundle(result.bundle, result.nodeBundle.file, process.cwd()));
      } catch (error) {
        const code = exitCodeFor(error);
        log(code === 1 ? `unexpected error: ${String((error as Error)?.stack ?? error)}` : (error as Error).message);
        process.exitCode = code;
      }
    });
}
