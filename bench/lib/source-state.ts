// Which code a benchmark measured: the commit, whether src/ or examples/ had uncommitted changes
// (others edit them while benchmarks run), and a fingerprint of their content, so a run can tell
// when the code changed under it. Read-only git commands only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(import.meta.dirname, '..', '..');
const DIRS = ['src', 'examples'];
const run = promisify(execFile);

export interface SourceState {
  /** e.g. "src/ and examples/ at commit b360d1e (uncommitted changes in src/stores/store.ts)" */
  text: string;
  /** 12 hex digits of the SHA-256 over every file's path and content. */
  fingerprint: string;
}

export async function sourceState(): Promise<SourceState> {
  const hash = createHash('sha256');
  for (const dir of DIRS) {
    const files = (await readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    for (const file of files)
      hash
        .update(`${path.relative(ROOT, file)}\0`)
        .update(await readFile(file))
        .update('\0');
  }
  const fingerprint = hash.digest('hex').slice(0, 12);
  const where = DIRS.map((d) => `${d}/`).join(' and ');
  try {
    const { stdout: head } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--', ...DIRS], { cwd: ROOT });
    const dirty = status
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    const changes = dirty.length === 0 ? 'no uncommitted changes' : `uncommitted changes in ${dirty.join(', ')}`;
    return { text: `${where} at commit ${head.trim()} (${changes}; content ${fingerprint})`, fingerprint };
  } catch {
    return { text: `${where} with content ${fingerprint} (no git)`, fingerprint };
  }
}

/** One note: the code measured, and whether it changed while the benchmark ran. */
export function describeSourceStates(start: SourceState, end: SourceState): string {
  if (start.fingerprint === end.fingerprint) return `Code measured: ${start.text}; unchanged while the benchmark ran.`;
  return `Code measured: ${start.text} at the start, but it changed while the benchmark ran: at the end ${end.text}. Runs before and after the change are mixed in the figures.`;
}
