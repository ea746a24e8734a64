import { builtinOptions } from '../config/builtin-options.ts';
import { envExample } from '../config/env-example.ts';
import { readEnvFile } from '../config/env-file.ts';
import { envName, flagName } from '../config/names.ts';
import type { ConfigOf, ConfigSchema } from '../config/options.ts';
import { resolveConfig, type ConfigSources, type ResolvedConfig } from '../config/resolve.ts';
import { CancelledError, isErrorKind, type FerryError } from '../errors/errors.ts';
import { ExitCode, exitCodeFor, summarizeError } from '../errors/exit-codes.ts';
import { envelope, emptyCounts } from '../events/protocol.ts';
import { useEnvProxy } from './env-proxy.ts';
import { createReporter, type LogFormat, type ProcessIO } from './process-io.ts';
import { parseCommandLine, type CommandLineSpec } from './program.ts';
import { runJobFromCli } from '../job/run-job.ts';
import type { Job } from '../job/types.ts';
import type { Redactor } from '../secrets/redact.ts';
import { FERRY_VERSION } from '../version.ts';
import { evaluateHealth } from '../health/check.ts';
import type { RunRecord, Store, StoredReject } from '../stores/store.ts';
import { describePosition } from '../sources/source-item.ts';
import { stringify } from '../values/deep-json.ts';

const CHECK_OPTIONS = {
  maxAge: { type: 'duration', description: 'fail when the last success finished longer ago than this', example: '25h' },
  minRecords: { type: 'int', default: 0, min: 0, description: 'fail when the last success read fewer records' },
} as const satisfies ConfigSchema;

const REJECTS_OPTIONS = {
  replay: {
    type: 'boolean',
    description:
      'run the rejects through the current validation and write again; those that pass are written and removed',
  },
  limit: { type: 'int', default: 1000, min: 1, description: 'list at most this many rejects, newest first' },
} as const satisfies ConfigSchema;

export const EPILOG = `
Exit codes: 0 success, 64 usage or config error, 65 permanent failure (bad data,
rejected credentials), 75 retryable failure (network, timeout, 5xx, lock held),
130 cancelled by SIGINT/SIGTERM, 69 check: not healthy, 1 unexpected bug.
Precedence: flag > environment > --env-file > default.`;

/** Everything a job process does, given its argv, environment and streams. Returns the exit code. */
export async function main<S extends ConfigSchema>(job: Job<S>, io: ProcessIO): Promise<number> {
  const schema: ConfigSchema = { ...job.config, ...job.store?.options, ...builtinOptions };
  const redactor = io.redactor;
  redactor.add(...rawSecrets(job, schema, io));
  let format: LogFormat = 'auto';
  try {
    const invocation = parseCommandLine(commandLine(job, schema), io.argv);
    if (invocation.kind === 'printed') {
      io.stdout.write(invocation.text);
      return ExitCode.ok;
    }
    if (invocation.command === 'env-example') {
      io.stdout.write(envExample(`${job.name} ${job.version}: ${job.description}`, schema, job.envPrefix));
      return ExitCode.ok;
    }
    const commandSchema =
      invocation.command === 'check'
        ? checkSchema(job)
        : invocation.command === 'rejects'
          ? rejectsSchema(job, invocation.flags, schema)
          : schema;
    const config = resolve(job, commandSchema, invocation.flags, io);
    redactor.add(...config.secrets);
    format = config.values.logFormat as LogFormat;
    if (invocation.command === 'check') return await check(job, config, format, io);
    if (invocation.command === 'rejects' && config.values.replay !== true)
      return await listRejects(job, config, format, io);
    useEnvProxy(io.env);
    return await run(job, config, format, redactor, io, invocation.command === 'rejects' ? 'replay' : 'run');
  } catch (error) {
    if (!isErrorKind(error, 'config')) throw error;
    return reportConfigError(job.name, error, format === 'auto' ? formatDespite(job.envPrefix, io) : format, io);
  }
}

/** What a usage error needs of the process: where to say it, and how (--log-format). */
export type UsageIO = Pick<ProcessIO, 'argv' | 'env' | 'stdout' | 'stderr' | 'stdoutIsTTY' | 'redactor'>;

/**
 * A usage error before any job is chosen (a job name that a multi-job executable does not
 * have): said as a job's own config error is, on stderr and as a result line. Returns 64.
 */
export function reportUsageError(name: string, error: FerryError, io: UsageIO): number {
  return reportConfigError(name, error, formatDespite(undefined, io), io);
}

/** The --log-format asked for, read on its own, when the config as a whole is bad. */
function formatDespite(prefix: string | undefined, io: UsageIO): LogFormat {
  const i = io.argv.findIndex((a) => a === '--log-format' || a.startsWith('--log-format='));
  const flag = i < 0 ? undefined : io.argv[i]?.includes('=') ? io.argv[i]?.split('=')[1] : io.argv[i + 1];
  const value = flag ?? io.env[envName('logFormat', prefix)];
  return value === 'json' || value === 'pretty' ? value : 'auto';
}

function commandLine(job: Job, schema: ConfigSchema): CommandLineSpec {
  return {
    name: job.name,
    description: job.description,
    version: `${job.name} ${job.version} (ferry ${FERRY_VERSION})`,
    ...(job.envPrefix ? { prefix: job.envPrefix } : {}),
    options: schema,
    subcommands: {
      'env-example': { description: 'print a .env.example for this job', options: {} },
      ...(job.store
        ? {
            check: {
              description: 'healthcheck: is the last successful run recent and big enough? exit 0, or 69 when not',
              options: checkSchema(job),
            },
            rejects: {
              description:
                "list the rejected records (JSON lines); --replay runs them through validation and write again (pass the run's flags)",
              options: { ...REJECTS_OPTIONS, ...schema },
            },
          }
        : {}),
    },
    epilog: EPILOG,
  };
}

function resolve(job: Job, schema: ConfigSchema, flags: Record<string, unknown>, io: ProcessIO): ResolvedConfig {
  const sources: ConfigSources = {
    flags,
    env: io.env,
    cwd: io.cwd,
    ...(job.envPrefix ? { prefix: job.envPrefix } : {}),
  };
  const envFile = resolveConfig({ envFile: builtinOptions.envFile }, sources).values.envFile;
  if (typeof envFile === 'string') sources.envFile = { path: envFile, values: readEnvFile(envFile) };
  return resolveConfig(schema, sources);
}

async function run(
  job: Job,
  config: ResolvedConfig,
  format: LogFormat,
  redactor: Redactor,
  io: ProcessIO,
  mode: 'run' | 'replay',
): Promise<number> {
  const {
    envFile: _e,
    logFormat: _f,
    logLevel,
    dryRun,
    exitWithParent,
    maxRejects,
    minRecords,
    replay: _r,
    limit: _l,
    ...rest
  } = config.values;
  const jobConfig = Object.fromEntries(Object.keys(job.config).map((k) => [k, rest[k]]));
  const store = job.store;
  const controller = new AbortController();
  const detach = io.onSignal((signal, count) => {
    if (count > 1) return io.exitNow(ExitCode.cancelled, `${job.name}: second ${signal}, exiting at once\n`);
    controller.abort(new CancelledError(`received ${signal}`));
  });
  const unwatch =
    exitWithParent === true
      ? io.watchParent?.((reason) => controller.abort(new CancelledError(reason, { code: 'PARENT_GONE' })))
      : undefined;
  try {
    const result = await runJobFromCli(job, jobConfig as ConfigOf<ConfigSchema>, {
      reporter: createReporter(format, io),
      signal: controller.signal,
      logLevel: logLevel as 'info',
      dryRun: dryRun === true,
      maxRejects: maxRejects as number,
      mode,
      minRecords: minRecords as number,
      fullRefresh: rest.fullRefresh === true,
      redactor,
      crash: io.crash,
      ...(store
        ? { store: async () => (await store.open(rest, 'write')) as Store, batchSize: rest.batchSize as number }
        : {}),
    });
    return result.exitCode;
  } finally {
    detach();
    unwatch?.();
  }
}

function reportConfigError(name: string, error: FerryError, format: LogFormat, io: UsageIO): number {
  const message = io.redactor.string(error.message);
  io.stderr.write(`${name}: ${message.replaceAll('\n', `\n${name}: `)}\n`);
  if (format === 'json' || (format === 'auto' && !io.stdoutIsTTY)) {
    const result = {
      ...envelope(),
      type: 'result',
      job: name,
      runId: '',
      status: 'failed',
      exitCode: ExitCode.usage,
      dryRun: false,
      counts: emptyCounts(),
      durationMs: 0,
      error: { ...summarizeError(error), message },
    };
    io.stdout.write(`${JSON.stringify(result)}\n`);
  }
  return ExitCode.usage;
}

/** Secret values as given anywhere, so that even an error about them prints none. */
function rawSecrets(job: Job, schema: ConfigSchema, io: ProcessIO): string[] {
  return Object.entries(schema)
    .filter(([, spec]) => spec.secret)
    .map(([key, spec]) => io.env[envName(key, job.envPrefix, spec.env)])
    .concat(secretFlagValues(schema, io.argv))
    .filter((v): v is string => typeof v === 'string' && v !== '');
}

function secretFlagValues(schema: ConfigSchema, argv: readonly string[]): string[] {
  const flags = Object.entries(schema)
    .filter(([, s]) => s.secret)
    .map(([key]) => flagName(key));
  return argv.flatMap((arg, i) => {
    const flag = flags.find((f) => arg === f || arg.startsWith(`${f}=`));
    if (!flag) return [];
    return arg === flag ? [argv[i + 1] ?? ''] : [arg.slice(flag.length + 1)];
  });
}

function checkSchema(job: Job): ConfigSchema {
  const { dryRun: _d, logLevel: _l, maxRejects: _m, minRecords: _r, ...builtins } = builtinOptions;
  return { ...CHECK_OPTIONS, ...job.store?.options, ...builtins };
}

/** The healthcheck: reads the run history, never writes, never takes the lock. */
async function check(job: Job, config: ResolvedConfig, format: LogFormat, io: ProcessIO): Promise<number> {
  const pretty = format === 'pretty' || (format === 'auto' && io.stdoutIsTTY);
  const print = (line: Record<string, unknown> & { summary: string }) =>
    io.stdout.write(
      pretty
        ? `${job.name}: ${line.summary}\n`
        : `${JSON.stringify(io.redactor.event({ ...envelope(), type: 'check', job: job.name, ...line }))}\n`,
    );
  let runs: RunRecord[];
  try {
    runs = await readHistory(job, config, (store) => store.runs(job.name, 50));
  } catch (error) {
    // The history cannot be read (no database there, a server down): say why in the one line, with its code.
    const exitCode = exitCodeFor(error);
    if (exitCode === ExitCode.bug) throw error;
    const summary = summarizeError(error);
    print({
      ok: false,
      problems: [summary.message],
      lastRun: null,
      lastSuccess: null,
      error: summary,
      summary: `CANNOT CHECK: ${summary.message}`,
    });
    return exitCode;
  }
  const maxAge = config.values.maxAge as number | undefined;
  const health = evaluateHealth(runs, {
    minRecords: config.values.minRecords as number,
    now: new Date(),
    ...(maxAge === undefined ? {} : { maxAgeMs: maxAge }),
  });
  print({ ...health });
  return health.ok ? ExitCode.ok : ExitCode.unhealthy;
}

/** Reads the history without writing or waiting for the lock: none when there is no database yet. */
async function readHistory<T>(job: Job, config: ResolvedConfig, read: (store: Store) => Promise<T[]>): Promise<T[]> {
  const store = await job.store?.open(config.values, 'read');
  try {
    return store ? await read(store) : [];
  } finally {
    await store?.close();
  }
}

/** Listing needs no job options; a replay runs the write path and needs the run's own. */
function rejectsSchema(job: Job, flags: Record<string, unknown>, schema: ConfigSchema): ConfigSchema {
  if (flags.replay === true) return { ...REJECTS_OPTIONS, ...schema };
  return {
    ...REJECTS_OPTIONS,
    ...checkSchema(job),
    ...Object.fromEntries(Object.entries(job.config).map(([k, spec]) => [k, { ...spec, required: false }])),
  };
}

async function listRejects(job: Job, config: ResolvedConfig, format: LogFormat, io: ProcessIO): Promise<number> {
  let rejects: StoredReject[];
  try {
    rejects = await readHistory(job, config, (store) => store.rejects(job.name, config.values.limit as number));
  } catch (error) {
    // The history cannot be read (not a database, a server down): why, on stderr, and its own code.
    // No result line: nothing ran, and stdout lists rejects.
    const exitCode = exitCodeFor(error);
    if (exitCode === ExitCode.bug) throw error;
    io.stderr.write(`${job.name}: ${io.redactor.string(summarizeError(error).message)}\n`);
    return exitCode;
  }
  const pretty = format === 'pretty' || (format === 'auto' && io.stdoutIsTTY);
  for (const r of rejects) {
    io.stdout.write(
      pretty
        ? `${r.lastSeen} ${describePosition(r.position)}: ${r.reason}\n`
        : `${stringify(io.redactor.event({ ...envelope(), type: 'reject', job: job.name, ...r }))}\n`,
    );
  }
  return ExitCode.ok;
}
