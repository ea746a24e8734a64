import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, PermanentError } from 'ferry';
import { bundleJob } from '../../src/build/index.ts';
import { ROOT } from '../helpers/spawn.ts';

describe('bundleJob', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-bundle-'));
  const out = (name: string) => path.join(dir, `${name}.mjs`);

  it("bundles a job module, its default export run by a generated entry, the job's own import.meta.main check gone", async () => {
    const bundle = await bundleJob({
      entry: path.join(ROOT, 'examples/file-import/file-import.ts'),
      outfile: out('file-import'),
      conditions: ['source'],
    });
    const text = await readFile(bundle.file, 'utf8');
    assert.equal(bundle.selfStarting, false);
    // In a single executable import.meta.main is true: the job's own runMain would start a second run.
    assert.doesNotMatch(text, /import\.meta\.main/);
    assert.match(text, /imports a CSV, NDJSON or JSON file into a SQLite table/);
    assert.ok(
      bundle.inputs.some((input) => input.endsWith('src/cli/run-main.ts')),
      'ferry from source (conditions)',
    );
    assert.equal(bundle.bytes, Buffer.byteLength(text));
    assert.match(bundle.sha256, /^[0-9a-f]{64}$/);
  });

  it('equal sources make equal bundles', async () => {
    const entry = path.join(ROOT, 'examples/rest-import/rest-import.ts');
    const [a, b] = await Promise.all([
      bundleJob({ entry, outfile: out('a'), conditions: ['source'] }),
      bundleJob({ entry, outfile: out('b'), conditions: ['source'] }),
    ]);
    assert.equal(a.sha256, b.sha256);
  });

  it('a module without a default export is bundled as a program that starts itself', async () => {
    const bundle = await bundleJob({
      entry: path.join(ROOT, 'bench/fixtures/noop-job.ts'),
      outfile: out('noop'),
      conditions: ['source'],
    });
    assert.equal(bundle.selfStarting, true);
  });

  it('a missing module is a ConfigError; one that does not compile a PermanentError with the place', async () => {
    await assert.rejects(
      bundleJob({ entry: path.join(dir, 'nope.ts'), outfile: out('nope') }),
      (error: unknown) => error instanceof ConfigError && /nope\.ts does not exist/.test(error.message),
    );
    const broken = path.join(dir, 'broken.ts');
    await writeFile(
      broken,
      "import { defineJob } from 'ferry';\nexport default defineJob({ name: 'x', version: '1', description: '', config: {}, run() { return 1 + ; } });\n",
    );
    await assert.rejects(
      bundleJob({ entry: broken, outfile: out('broken'), conditions: ['source'] }),
      (error: unknown) =>
        error instanceof PermanentError && error.code === 'BUNDLE_FAILED' && /broken\.ts:2:\d+: /.test(error.message),
    );
  });
});
