import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { runMain } from '../cli/run-main.ts';
import { isJob } from '../job/define-job.ts';

/** `ferry run <job> [args...]`: loads a job module and runs it as its own process would. */
export function addRunCommand(program: Command): void {
  const run = program
    .command('run')
    .description("run a job module (its default export) with the job's own flags")
    .argument('<job>', 'the job module, e.g. ./jobs/import.ts')
    .argument('[args...]', "the job's flags and subcommands")
    .passThroughOptions()
    .allowUnknownOption()
    .helpOption(false)
    .exitOverride()
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
}
