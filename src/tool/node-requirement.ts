import type { Command } from 'commander';

/**
 * The oldest Node that runs jobs (node:sqlite without a flag, TypeScript run as written). ferry's
 * `engines` says less, 20, because ferry/host and ferry/protocol run in the caller's own process
 * (Electron's main, a server), and the jobs run on the Node a project pins or inside their executable.
 */
export const JOB_NODE_MAJOR = 24;

/** Why this Node cannot run a job, and what to run instead; undefined when it can. */
export function jobNodeProblem(version: string = process.versions.node): string | undefined {
  if (Number.parseInt(version, 10) >= JOB_NODE_MAJOR) return undefined;
  return (
    `jobs need Node >= ${JOB_NODE_MAJOR}; this is Node ${version}. Run ferry on the Node your project pins ` +
    '(its `node` devDependency): through npm scripts, `npx ferry …` or `npm exec -- ferry …`, ' +
    'or build the job into one executable that carries its Node (`npx ferry build`)'
  );
}

/** `ferry run` and `ferry verify` on too old a Node stop before loading a job: exit 64 and why. */
export function requireJobNode(program: Command, commands: readonly string[]): void {
  program.hook('preAction', (_program, action) => {
    const problem = commands.includes(action.name()) ? jobNodeProblem() : undefined;
    if (problem === undefined) return;
    process.stderr.write(`ferry ${action.name()}: ${problem}\n`);
    process.exit(64);
  });
}
