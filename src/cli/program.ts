import { Command, CommanderError, Option } from 'commander';
import { describeSchema, helpText } from '../config/describe.ts';
import type { ConfigSchema } from '../config/options.ts';
import { ConfigError } from '../errors/errors.ts';

/** A subcommand every job has (`env-example`, `check`, …), with its own options. */
export interface SubcommandSpec {
  description: string;
  options: ConfigSchema;
}

export interface CommandLineSpec {
  name: string;
  description: string;
  version: string;
  prefix?: string;
  options: ConfigSchema;
  subcommands: Record<string, SubcommandSpec>;
  epilog: string;
}

export type Invocation =
  { kind: 'command'; command: string; flags: Record<string, unknown> } | { kind: 'printed'; text: string };

/** Parses argv with commander. `--help` and `--version` come back as text to print. */
export function parseCommandLine(spec: CommandLineSpec, argv: readonly string[]): Invocation {
  const printed: string[] = [];
  let invocation: Invocation | undefined;
  const program = configure(new Command(spec.name), spec.options, spec.prefix, printed)
    .description(spec.description)
    .version(spec.version, '-V, --version', 'print the job and ferry versions')
    .enablePositionalOptions()
    .addHelpText('after', spec.epilog)
    .action((flags: Record<string, unknown>) => {
      invocation = { kind: 'command', command: 'run', flags: byKey(program, spec.options, flags) };
    });
  for (const [name, sub] of Object.entries(spec.subcommands)) {
    const command = configure(program.command(name), sub.options, spec.prefix, printed).description(sub.description);
    command.action((flags: Record<string, unknown>) => {
      // `job --db-path x check` and `job check --db-path x` mean the same.
      const before = byKey(program, spec.options, program.opts());
      const shared = Object.fromEntries(Object.entries(before).filter(([k, v]) => k in sub.options && v !== undefined));
      invocation = {
        kind: 'command',
        command: name,
        flags: { ...shared, ...defined(byKey(command, sub.options, flags)) },
      };
    });
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return { kind: 'printed', text: printed.join('') };
    throw new ConfigError(`${error.message.replace(/^error: /, '')} (see --help)`, { code: 'USAGE' });
  }
  if (!invocation) throw new ConfigError('nothing to do (see --help)', { code: 'USAGE' });
  return invocation;
}

function configure(command: Command, schema: ConfigSchema, prefix: string | undefined, printed: string[]): Command {
  command
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (s) => printed.push(s),
      writeErr: () => {},
      getOutHelpWidth: () => 100,
      getOutHasColors: () => false,
    })
    .configureHelp({ sortOptions: false, sortSubcommands: false, showGlobalOptions: false });
  for (const doc of describeSchema(schema, prefix)) {
    const option = new Option(`${doc.flag}${doc.placeholder ? ` ${doc.placeholder}` : ''}`, helpText(doc));
    if (doc.spec.type === 'list')
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    command.addOption(option);
    if (doc.spec.type === 'boolean') command.addOption(new Option(`--no-${doc.flag.slice(2)}`).hideHelp());
  }
  return command;
}

/** commander names values after its own camelCase of the flag; map them back to schema keys. */
function byKey(command: Command, schema: ConfigSchema, flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const docs = describeSchema(schema);
  for (const option of command.options) {
    const doc = docs.find((d) => option.long === d.flag || option.long === `--no-${d.flag.slice(2)}`);
    if (doc) out[doc.key] ??= flags[option.attributeName()];
  }
  return out;
}

function defined(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}
