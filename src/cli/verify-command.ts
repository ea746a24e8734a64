import type { Command } from 'commander';
import { verifyJob } from '../verify/verify.ts';

const HELP = `
Runs the job once on a fresh SQLite database (the reference), again (it must change nothing),
then --trials times on fresh databases killed with SIGKILL at random instants (some several
times) and run to completion, then once stopped with SIGTERM (it must exit 130 and resume):
every database must end equal to the reference, table by table. Pass the job's own flags after
--; verify adds --db-path. It assumes the job's source does not change while it runs.`;

export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('prove a job retry-safe: reruns, kills and SIGTERM must all end with the same tables')
    .argument('<job>', 'a built job executable, or a job module (.ts/.js)')
    .argument('[flags...]', 'the job\'s flags, after --')
    .option('--trials <n>', 'SIGKILL trials', (v) => Number.parseInt(v, 10), 20)
    .option('--concurrent', 'also start two runs at once: one must exit 75')
    .addHelpText('after', HELP)
    .action(async (target: string, flags: string[], opts: { trials: number; concurrent?: boolean }) => {
      if (flags.some((f) => f === '--db-path' || f.startsWith('--db-path='))) {
        process.stderr.write('ferry verify: leave --db-path out; verify gives each run a fresh database\n');
        process.exitCode = 64;
        return;
      }
      const report = await verifyJob({ target, args: flags, trials: opts.trials, concurrent: opts.concurrent === true, onProgress: (line) => process.stdout.write(`${line}\n`) });
      process.exitCode = report.ok ? 0 : 1;
    });
}
