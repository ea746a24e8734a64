import { runOnce } from './measure.ts';

/**
 * Writes the file's dirty pages and drops its cached ones: the next run reads it from disk.
 * A file just written in large chunks (node --build-sea's output) sits in the page cache in large
 * folios, and every page of a folio a process touches counts in its RSS (~40 MB more).
 */
export async function dropFromPageCache(file: string): Promise<void> {
  for (const [tool, args] of [
    ['sync', [file]],
    ['dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']],
  ] as const) {
    const exit = await runOnce(tool, args);
    if (exit.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${exit.code}: ${exit.stderr}`);
  }
}
