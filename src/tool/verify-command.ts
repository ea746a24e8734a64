import { InvalidArgumentError, type Command } from 'commander';
import { CancelledError } from '../errors/errors.ts';
import { exitCodeFor, ExitCode } from '../errors/exit-codes.ts';

const HELP = `
Runs the job once on a fresh SQLite database (the reference), again (it must change nothing),
then --trials times on fresh databases killed with SIGKILL at random instants (some several
times) and run to completion, then once stopped with SIGTERM (it must exit 130 and resume; a job
that always ends before the signal gets "not tried"): every database must end equal to the reference, table by table. Pass the job's own flags after
--; verify adds --db-path. It assumes the job's source does not change while it runs.

With --db-url (DATABASE_URL) the runs go to that PostgreSQL server instead: each gets a fresh
schema (ferry_verify_<random>_<n>), passed to the job as the search_path of its --db-url, and
every one is dropped at the end.

SIGINT or SIGTERM stops verify: the run in progress is killed, the runs' databases (or schemas)
are removed, and verify exits 130.`;

interface VerifyFlags {
  trials: number;
  concurrent?: boolean;
  dbUrl?: string;
}

export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('prove a job retry-safe: reruns, kills and SIGTERM must all end with the same tables')
    .argument('<job>', 'a built job executable, or a job module (.ts/.js)')
    .argument('[flags...]', "the job's flags, after --")
    .option('--trials <n>', 'SIGKILL trials', trialCount, 20)
    .option('--concurrent', 'also start two runs at once: one must exit 75')
    .option('--db-url <url>', 'run on this PostgreSQL server, a fresh schema per run (env: DATABASE_URL)')
    .addHelpText('after', HELP)
    .exitOverride()
    .action(async (target: string, flags: string[], opts: VerifyFlags) => {
      const databaseUrl = opts.dbUrl || process.env.DATABASE_URL || undefined;
      const stop = stopOnSignals(); // kept to the end: removing it would give SIGTERM back its default action
      try {
        // Loaded here: verify reads SQLite (node:sqlite), and ferry's other commands start on any Node >= 20.
        const { verifyJob } = await import('../verify/verify.ts');
        // verifyJob refuses a job flag naming a database, or a URL that is not PostgreSQL's, as ConfigError (64)
        const report = await verifyJob({
          target,
          args: flags,
          trials: opts.trials,
          concurrent: opts.concurrent === true,
          ...(databaseUrl ? { databaseUrl } : {}),
          signal: stop.signal,
          onProgress: (line) => process.stdout.write(`${line}\n`),
        });
        process.exitCode = report.ok ? 0 : 1;
      } catch (error) {
        process.stderr.write(`ferry verify: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = exitCodeFor(error);
      }
    });
}

/**
 * SIGINT/SIGTERM stop verify as they stop a job: the run in progress is killed, the runs'
 * databases (and PostgreSQL schemas) are removed, exit 130. A second signal exits at once.
 */
function stopOnSignals(): { signal: AbortSignal } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`ferry verify: ${name} again: exiting now; the runs' databases may be left behind\n`);
      process.exit(ExitCode.cancelled);
    }
    controller.abort(new CancelledError(`cancelled by ${name}`));
  };
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, onSignal);
  return { signal: controller.signal };
}

/** --trials: a whole number, 0 or more (parseInt would take "2.5" as 2 and "abc" as no trials at all). */
function trialCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('--trials takes a whole number, 0 or more.');
  return Number(value);
}
