import { bundleJob as ferryBundle } from '../../src/build/bundle.ts';

export interface Bundle {
  file: string;
  bytes: number;
  /** How many source files went into it. */
  inputs: number;
}

/** Bundles a job module as `ferry build` does (src/build/bundle.ts), so benchmarks measure what ships. */
export async function bundleJob(entry: string, outfile: string): Promise<Bundle> {
  const bundle = await ferryBundle({ entry, outfile, conditions: ['source'] });
  return { file: bundle.file, bytes: bundle.bytes, inputs: bundle.inputs.length };
}
