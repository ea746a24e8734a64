import { ConfigError } from '../errors/errors.ts';
import { isJob } from '../job/define-job.ts';
import type { Job } from '../job/types.ts';
import { Redactor } from '../secrets/redact.ts';
import { FERRY_VERSION } from '../version.ts';
import { EPILOG, reportUsageError } from './main.ts';
import { runMain } from './run-main.ts';

/** The jobs of one executable by the name that runs each, loaded only when asked for. */
export type JobModules = Readonly<
  Record<
    string,
    () => Promise<{
      /** The job: the module's default export. */
      default?: unknown;
    }>
  >
>;

/**
 * The entry point of an executable that carries several jobs (`ferry build a.ts b.ts --name
 * importers`): `importers <job> …` runs that job exactly as its own executable would (its flags,
 * environment, subcommands, lock and exit codes); `importers --help` lists the jobs.
 */
export async function runJobs(
  name: string,
  jobs: JobModules,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const [first = '', ...rest] = argv;
  if (Object.hasOwn(jobs, first)) return runMain(await load(jobs, first), rest);
  if (first === '--help' || first === '-h') return void process.stdout.write(await listJobs(name, jobs));
  if (first === '--version' || first === '-V') return void process.stdout.write(await versions(name, jobs));
  const names = Object.keys(jobs).join(', ');
  const message =
    first === '' || first.startsWith('-')
      ? `name the job first: ${name} <job> [options], one of ${names} (see --help)`
      : `no job "${first}" here: the jobs are ${names} (see --help)`;
  process.exitCode = reportUsageError(name, new ConfigError(message, { code: 'USAGE' }), {
    argv,
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY: process.stdout.isTTY,
    redactor: new Redactor(),
  });
}

async function load(jobs: JobModules, name: string): Promise<Job> {
  const job = (await jobs[name]?.())?.default;
  // ferry build checks each module's default export; this is the last guard against a stray one.
  if (!isJob(job)) throw new Error(`the module of job ${name} has no job as its default export`);
  return job;
}

async function listJobs(name: string, jobs: JobModules): Promise<string> {
  const loaded = await Promise.all(Object.keys(jobs).map(async (key) => [key, await load(jobs, key)] as const));
  const width = Math.max(...loaded.map(([key]) => key.length));
  return [
    `Usage: ${name} <job> [options] [command]`,
    '',
    `${loaded.length} jobs in one executable (ferry ${FERRY_VERSION}). \`${name} <job> …\` runs one as its own`,
    `executable would; \`${name} <job> --help\` lists its options, environment and commands.`,
    '',
    'Jobs:',
    ...loaded.map(([key, job]) => `  ${key.padEnd(width)}  ${job.description} (${job.version})`),
    EPILOG,
    '',
  ].join('\n');
}

async function versions(name: string, jobs: JobModules): Promise<string> {
  const loaded = await Promise.all(Object.keys(jobs).map((key) => load(jobs, key)));
  return `${name} (ferry ${FERRY_VERSION}): ${loaded.map((job) => `${job.name} ${job.version}`).join(', ')}\n`;
}
