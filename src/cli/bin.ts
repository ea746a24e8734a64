#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../errors/exit-codes.ts';
import { isJob } from '../job/define-job.ts';
import { FERRY_VERSION } from '../version.ts';
import { runMain } from './run-main.ts';
import { addInitCommand } from './init-command.ts';
import { requireJobNode } from './node-requirement.ts';
import { addVerifyCommand } from './verify-command.ts';

const program = new Command('ferry')
  .description('ferry: data-import jobs as well-behaved sidecar processes')
  .version(FERRY_VERSION)
  .enablePositionalOptions();

const run = program
  .command('run')
  .description("run a job module (its default export) with the job's own flags")
  .argument('<job>', 'the job module, e.g. ./jobs/import.ts')
  .argument('[args...]', "the job's flags and subcommands")
  .passThroughOptions()
  .allowUnknownOption()
  .helpOption(false)
  .action(async (entry: string, args: string[]) => {
    if (entry === '--help' || entry === '-h') return void process.stdout.write(run.helpInformation());
    if (!existsSync(entry)) {
      process.stderr.write(`ferry: no job module at ${entry}\n`);
      process.exitCode = 64;
      return;
    }
    const module = (await import(pathToFileURL(path.resolve(entry)).href)) as { default?: unknown };
    if (!isJob(module.default)) {
      process.stderr.write(`ferry: ${entry} has no job as its default export (export default defineJob({ … }))\n`);
      process.exitCode = 64;
      return;
    }
    await runMain(module.default, args);
  });

addVerifyCommand(program);
addInitCommand(program);
requireJobNode(program, ['run', 'verify']);

interface BuildFlags {
  target: string[];
  out: string;
  name?: string;
  tauri?: boolean;
  nodeBinary?: string;
  strip: boolean;
  codeCache: boolean;
}

program
  .command('build')
  .description('bundle a job into a single executable that needs no Node.js (docs/building.md)')
  .argument('<job>', 'the job module (its default export), e.g. ./jobs/import.ts')
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
  .exitOverride()
  .action(async (entry: string, flags: BuildFlags) => {
    const log = (line: string) => process.stderr.write(`ferry build: ${line}\n`);
    try {
      // Loaded here: `ferry run` should not pay for esbuild.
      const { buildJob, defaultCacheDir, describeBuilt, nodeConditions, parseTargets } =
        await import('../build/index.ts');
      const result = await buildJob({
        entry,
        outDir: flags.out,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(flags.target.length > 0 ? { targets: parseTargets(flags.target) } : {}),
        tauri: flags.tauri === true,
        ...(flags.nodeBinary !== undefined ? { nodeBinary: flags.nodeBinary } : {}),
        strip: flags.strip,
        codeCache: flags.codeCache,
        conditions: nodeConditions(process.execArgv, process.env.NODE_OPTIONS),
        cacheDir: defaultCacheDir(process.env),
        env: process.env,
        cwd: process.cwd(),
        log,
      });
      for (const built of result.outputs) process.stdout.write(describeBuilt(built, process.cwd()));
    } catch (error) {
      const code = exitCodeFor(error);
      log(code === 1 ? `unexpected error: ${String((error as Error)?.stack ?? error)}` : (error as Error).message);
      process.exitCode = code;
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  // Only `build`, `verify` and `init` throw here (exitOverride): usage errors exit 64, like a job's; help exits 0.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : 64;
}
