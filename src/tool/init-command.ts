import path from 'node:path';
import { Option, type Command } from 'commander';
import { exitCodeFor } from '../errors/exit-codes.ts';
import { initProject } from '../init/init-project.ts';
import { TEMPLATES, type TemplateName } from '../init/templates.ts';

const HELP = `
Templates:
${Object.entries(TEMPLATES)
  .map(([name, t]) => `  ${name.padEnd(6)} jobs/${t.job}.ts: ${t.what}`)
  .join('\n')}

The project has package.json (an ES module package; Node pinned as a devDependency, so its
scripts run on it whatever Node the machine has), the job, a test that proves it retry-safe on a
fixture (verifyJob), .env.example, .gitignore and a README. Then:
  cd <dir> && npm install && npm test && npm run build

It depends on this ferry: its version when installed from the registry, this folder by path when
run from a checkout. --ferry <spec> names another (a version, a path, a tarball).`;

interface InitFlags {
  template: TemplateName;
  ferry?: string;
}

export function addInitCommand(program: Command): void {
  program
    .command('init')
    .description('start a project: a job, its test and the scripts to run, test and build it')
    .argument('<dir>', "the new project's folder (created; or an empty one)")
    .addOption(new Option('--template <name>', 'what the job imports').choices(Object.keys(TEMPLATES)).default('rest'))
    .option('--ferry <spec>', 'the ferry dependency to write (default: this ferry)')
    .addHelpText('after', HELP)
    .exitOverride()
    .action(async (dir: string, flags: InitFlags) => {
      try {
        const made = await initProject({
          dir,
          template: flags.template,
          cwd: process.cwd(),
          ...(flags.ferry ? { ferry: flags.ferry } : {}),
        });
        const shown = path.relative(process.cwd(), made.dir) || '.';
        for (const file of made.files) process.stdout.write(`created ${path.join(shown, file)}\n`);
        process.stdout.write(
          `\nnext: cd ${shellWord(shown)} && npm install && npm test\nthen: npm start -- --help, npm run build (dist/${path.basename(made.job, '.ts')})\n`,
        );
      } catch (error) {
        const code = exitCodeFor(error);
        process.stderr.write(
          `ferry init: ${code === 1 ? String((error as Error)?.stack ?? error) : (error as Error).message}\n`,
        );
        process.exitCode = code;
      }
    });
}

/** A path as a POSIX shell takes it, so that the printed line can be pasted: quoted when it must be. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
