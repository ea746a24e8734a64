#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { cwdGone, workingDirectory } from '../cli/run-main.ts';
import { FERRY_VERSION } from '../version.ts';
import { addBuildCommand } from './build-command.ts';
import { addInitCommand } from './init-command.ts';
import { requireJobNode } from './node-requirement.ts';
import { addRunCommand } from './run-command.ts';
import { addVerifyCommand } from './verify-command.ts';

const program = new Command('ferry')
  .description('ferry: data-import jobs as well-behaved sidecar processes')
  .version(FERRY_VERSION)
  .enablePositionalOptions();

addRunCommand(program);
addVerifyCommand(program);
addInitCommand(program);
requireJobNode(program, ['run', 'verify']);
addBuildCommand(program);

// Every command resolves paths against it: in a deleted folder `run` ended 0 silently and `verify` 1.
if (workingDirectory() === undefined) {
  process.stderr.write(`ferry: ${cwdGone().message}\n`);
  process.exit(64);
}
try {
  await program.parseAsync();
} catch (error) {
  // Only the commands throw here (exitOverride): usage errors exit 64, like a job's; help exits 0.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : 64;
}
