// Sums up a V8 .cpuprofile (node --cpu-prof): self time per function and per file, and the
// inclusive time of every function, so a benchmark's notes can say where the time goes.
//   node bench/lib/cpuprofile.ts run.cpuprofile [top]
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  /** "function file:line", or a V8 pseudo-frame such as "(garbage collector)". */
  name: string;
  ms: number;
  /** Share of the profile's whole time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time spent in the function itself, callees excluded. */
  self: Entry[];
  /** Time spent in the function or anything it called (each sample counted once per function). */
  inclusive: Entry[];
  /** Self time per source file (node:internal files by module, pseudo-frames as they are). */
  files: Entry[];
}

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === '') return functionName === '' ? '(anonymous)' : functionName;
  return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
};

function shortUrl(url: string): string {
  const file = url.replace(/^file:\/\//, '');
  const marker = file.lastIndexOf('/node_modules/');
  if (marker !== -1) return file.slice(marker + 1);
  if (file.startsWith('/')) return path.relative(process.cwd(), file);
  return file;
}

export async function summarizeProfile(file: string): Promise<ProfileSummary> {
  return summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
}

function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;

  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    add(self, label(node), us);
    add(files, node.callFrame.url === '' ? label(node) : shortUrl(node.callFrame.url), us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (!n) break;
      const name = label(n);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  const entries = (map: Map<string, number>): Entry[] =>
    [...map].map(([name, us]) => ({ name, ms: us / 1000, share: us / totalUs })).sort((a, b) => b.ms - a.ms);
  return { totalMs: totalUs / 1000, self: entries(self), inclusive: entries(inclusive), files: entries(files) };
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function formatEntries(entries: readonly Entry[], top: number): string {
  return entries
    .slice(0, top)
    .map((e) => `${e.ms.toFixed(0).padStart(7)} ms ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}`)
    .join('\n');
}

if (import.meta.main) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: cpuprofile.ts <file.cpuprofile> [top]');
    process.exit(64);
  }
  const s = await summarizeProfile(file);
  console.log(`total ${s.totalMs.toFixed(0)} ms\n\n== self\n${formatEntries(s.self, Number(top))}`);
  console.log(`\n== by file (self)\n${formatEntries(s.files, Number(top))}`);
  console.log(`\n== inclusive\n${formatEntries(s.inclusive, Number(top) * 2)}`);
}

/**
 * Sorts samples into buckets by the innermost frame of their stack that any bucket matches (the
 * first such bucket): JSON.stringify in a job's write() counts to the job, not to the ferry code
 * that called write().
 */
export interface Bucket {
  name: string;
  /** Matches a frame: its URL (file:// or node:…) and function name. */
  match: (frame: { url: string; functionName: string }) => boolean;
}

/** Time per bucket, in the order given, then "other" for samples no bucket took. */
export async function bucketProfile(file: string, buckets: readonly Bucket[]): Promise<Entry[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totalUs = profile.endTime - profile.startTime;
  const us = new Array<number>(buckets.length + 1).fill(0);
  const memo = new Map<number, number>();
  const bucketOf = (leaf: number): number => {
    const known = memo.get(leaf);
    if (known !== undefined) return known;
    const stack: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = leaf; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame) stack.push(frame);
    }
    let index = buckets.length;
    for (const frame of stack) {
      const found = buckets.findIndex((b) => b.match(frame));
      if (found !== -1) {
        index = found;
        break;
      }
    }
    memo.set(leaf, index);
    return index;
  };
  profile.samples.forEach((id, i) => (us[bucketOf(id)] = (us[bucketOf(id)] ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return [...buckets.map((b) => b.name), 'other'].map((name, i) => ({
    name,
    ms: (us[i] ?? 0) / 1000,
    share: (us[i] ?? 0) / totalUs,
  }));
}

/** "name 123 ms (4.5%)" for the top entries, joined with "; ". */
export function describeEntries(entries: readonly Entry[], top: number): string {
  return entries
    .slice(0, top)
    .map((e) => `\`${e.name}\` ${e.ms.toFixed(0)} ms (${(e.share * 100).toFixed(1)}%)`)
    .join('; ');
}
