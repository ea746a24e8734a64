import { runProcess, type Finished } from '../host/run-process.ts';

/** Runs a program to completion, output captured. Rejects only when it cannot start (ENOENT). */
export function runTool(
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<Finished> {
  // npm is npm.cmd on Windows, which only a shell can start.
  const shell = process.platform === 'win32' && file === 'npm';
  // With a shell Node passes the arguments unquoted: quote the ones a shell would split.
  const argv = shell ? args.map((a) => (/[\s"&|<>^]/.test(a) ? `"${a.replaceAll('"', '""')}"` : a)) : args;
  return runProcess(file, argv, { ...options, shell });
}

/** The last lines of a tool's output, for an error message. */
export function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
