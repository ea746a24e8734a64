import path from 'node:path';
import { BUNDLE_NODE_MAJOR, type Built } from './build-job.ts';
import type { Bundle } from './bundle.ts';

const MIB = 1024 * 1024;

/** One line per executable: where, how big, its sha256; then how it was made. */
export function describeBuilt(built: Built, cwd: string): string {
  const how = [
    built.host ? 'this Node' : `Node ${process.versions.node} for ${built.target.id}`,
    built.prepared,
    built.codeCache ? 'code cache' : undefined,
    `${(built.ms.binary + built.ms.prepare + built.ms.inject).toFixed(0)} ms`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${shown(built.file, cwd)}  ${(built.bytes / MIB).toFixed(1)} MiB  sha256 ${built.sha256}  (${how})\n`;
}

/** The line of a --bundle output: where, how big, its sha256, and what runs it. */
export function describeBundle(bundle: Bundle, file: string, cwd: string): string {
  const runs = `for node ${path.basename(file)} on Node >= ${BUNDLE_NODE_MAJOR}`;
  return `${shown(file, cwd)}  ${(bundle.bytes / MIB).toFixed(1)} MiB  sha256 ${bundle.sha256}  (${runs})\n`;
}

/** A path under the working directory relative to it, any other in full. */
function shown(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The package export conditions a Node process was started with (`--conditions=x`, `-C x`). */
export function nodeConditions(execArgv: readonly string[], nodeOptions = ''): string[] {
  const args = [...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)];
  const conditions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg);
    if (inline?.[1]) conditions.push(inline[1]);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) conditions.push(args[++i] ?? '');
  }
  return conditions;
}
