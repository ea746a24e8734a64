import { build } from 'esbuild';
import { stat } from 'node:fs/promises';

// commander and sonic-boom are CommonJS: their require() calls need a real require in an ES module.
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface Bundle {
  file: string;
  bytes: number;
  /** How many source files went into it. */
  inputs: number;
}

/** Bundles a job module into one minified ES module file, as a job would be shipped. */
export async function bundleJob(entry: string, outfile: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    conditions: ['source'],
    minify: true,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
  });
  return { file: outfile, bytes: (await stat(outfile)).size, inputs: Object.keys(result.metafile.inputs).length };
}
