import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build, type BuildFailure, type BuildOptions, type Message, type Plugin } from 'esbuild';
import { ConfigError, PermanentError } from '../errors/errors.ts';

// commander is CommonJS: its require() of builtins needs a real require in
// an ES module. In a single executable import.meta.url is the executable's own file: URL.
const REQUIRE_SHIM =
  "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);";

const BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, '')));
// Loaded by dependencies at start-up but used only on paths a job rarely takes (commander's
// executable subcommands; assert, which CommonJS packages often load): loaded on first use instead.
const ON_FIRST_USE = new Set(['child_process', 'assert']);

/**
 * Node's builtins, taken with process.getBuiltinModule. An ES import of node:fs or node:util makes
 * Node build the module's whole namespace, and esbuild's interop copies every property: both run
 * lazy getters (fs.promises alone loads readline and streams), which slows start-up. Here an ES
 * import gets a module of one export per name, each read only if imported (unused ones are
 * tree-shaken); a require() gets the module object itself.
 */
export const builtinsPlugin: Plugin = {
  name: 'ferry-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (!BUILTINS.has(bare) && !args.path.startsWith('node:')) return undefined;
      const specifier = args.path.startsWith('node:') ? args.path : `node:${bare}`;
      return { path: specifier, namespace: args.kind === 'require-call' ? 'ferry-builtin-cjs' : 'ferry-builtin-esm' };
    });
    build.onLoad({ filter: /.*/, namespace: 'ferry-builtin-cjs' }, (args) => ({
      contents: `module.exports = ${getBuiltin(args.path)};`,
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'ferry-builtin-esm' }, (args) => ({
      contents: esmBuiltin(args.path),
      loader: 'js',
    }));
  },
};

function getBuiltin(specifier: string): string {
  const get = `process.getBuiltinModule(${JSON.stringify(specifier)})`;
  if (!ON_FIRST_USE.has(specifier.slice('node:'.length))) return get;
  return [
    `(() => { let m; const load = () => (m ??= ${get});`,
    'return new Proxy(() => {}, {',
    '  get: (_, key) => load()[key],',
    '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
    '  has: (_, key) => key in load(),',
    '  ownKeys: () => Reflect.ownKeys(load()),',
    '  getOwnPropertyDescriptor: (_, key) => { const d = Reflect.getOwnPropertyDescriptor(load(), key); return d && { ...d, configurable: true }; },',
    '}); })()',
  ].join('\n');
}

function esmBuiltin(specifier: string): string {
  const names = Object.getOwnPropertyNames(process.getBuiltinModule(specifier) as object).filter(
    (name) => name !== 'default',
  );
  return [
    `const m = ${getBuiltin(specifier)};`,
    'export default m;',
    ...names.map(
      (name, i) =>
        `const _${i} = /* @__PURE__ */ (() => m[${JSON.stringify(name)}])(); export { _${i} as ${JSON.stringify(name)} };`,
    ),
  ].join('\n');
}

export interface BundleOptions {
  /** The job module: its default export is the job, or it has no default export and starts itself.
   *  Several modules (each with a job as its default export) make one bundle that runs each by its
   *  file name: `<name> <job> …`. */
  entry: string | readonly string[];
  /** The name of a bundle of several jobs, in its --help; default `jobs`. */
  name?: string;
  outfile: string;
  /** Package export conditions, as the Node running the build was given (e.g. ['source']). */
  conditions?: readonly string[];
  /** Node's major version the bundle runs on. */
  nodeMajor?: number;
}

export interface Bundle {
  file: string;
  bytes: number;
  /** sha256 of the bundle: equal bundles make equal executables on the same Node. */
  sha256: string;
  /** The source files that went in, relative to the working directory. */
  inputs: string[];
  /** true when the entry has no default export and runs itself (calls runMain at top level). */
  selfStarting: boolean;
}

/**
 * Bundles a job into one minified ES module. A small generated entry imports the job and calls
 * runMain; `import.meta.main` is false inside the job, so a job's own
 * `if (import.meta.main) await runMain(job)` stays quiet (in a single executable the bundle
 * is the main module: it would run the job twice).
 */
export async function bundleJob(options: BundleOptions): Promise<Bundle> {
  const entries = typeof options.entry === 'string' ? [options.entry] : options.entry;
  const [first, ...others] = entries.map((entry) => path.resolve(entry));
  if (first === undefined) throw new ConfigError('no job module to bundle: pass at least one');
  const entry = first;
  const selfStarting = !(await exportsDefault(entry));
  if (others.length > 0) await checkSeveral(entries);
  const common: BuildOptions & { metafile: true } = {
    outfile: options.outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${options.nodeMajor ?? Number.parseInt(process.versions.node, 10)}`,
    conditions: [...(options.conditions ?? [])],
    minify: true,
    banner: { js: REQUIRE_SHIM },
    plugins: [builtinsPlugin],
    metafile: true,
    logLevel: 'silent',
  };
  let result;
  try {
    result = selfStarting
      ? await build({ ...common, entryPoints: [entry] })
      : await build({
          ...common,
          stdin: {
            contents:
              others.length > 0 ? severalJobsEntry(options.name ?? 'jobs', [entry, ...others]) : generatedEntry(entry),
            resolveDir: path.dirname(entry),
            sourcefile: 'ferry-main.js',
            loader: 'js',
          },
          define: { 'import.meta.main': 'false' },
        });
  } catch (error) {
    const ferryMissing = (error as BuildFailure).errors?.some(
      (m) => /^Could not resolve "ferry(\/cli)?"/.test(m.text) && m.location?.file.endsWith('ferry-main.js'),
    );
    const hint = ferryMissing
      ? `\nferry build imports ferry from the job module's directory: run it on a job inside a project that depends on ferry (npm install ferry).`
      : '';
    throw new PermanentError(`cannot bundle ${options.entry}:\n${describeFailure(error)}${hint}`, {
      code: 'BUNDLE_FAILED',
      cause: error,
    });
  }
  const content = await readFile(options.outfile);
  return {
    file: options.outfile,
    bytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    inputs: Object.keys(result.metafile.inputs).filter((input) => input !== '<stdin>'),
    selfStarting,
  };
}

function generatedEntry(entry: string): string {
  return [
    `import job from ${JSON.stringify(entry)};`,
    "import { isJob } from 'ferry';",
    "import { runMain } from 'ferry/cli';",
    'if (isJob(job)) await runMain(job);',
    `else { process.stderr.write(${JSON.stringify(`${path.basename(entry)}: its default export is not a job (export default defineJob({ … }))\n`)}); process.exitCode = 64; }`,
    '',
  ].join('\n');
}

/**
 * The entry of several jobs: each module is imported when its job is asked for (esbuild keeps
 * each in the one file, evaluated on first use), so a run of one pays nothing for the others.
 */
function severalJobsEntry(name: string, entries: readonly string[]): string {
  const jobs = entries.map((entry) => `${JSON.stringify(jobName(entry))}: () => import(${JSON.stringify(entry)})`);
  return [
    "import { runJobs } from 'ferry/cli';",
    `await runJobs(${JSON.stringify(name)}, { ${jobs.join(', ')} });`,
    '',
  ].join('\n');
}

/** The name that runs a job in an executable of several: its module's file name. */
export function jobName(entry: string): string {
  return path.parse(entry).name;
}

/** Several jobs in one executable: each a job module (a default export), each name once. */
async function checkSeveral(entries: readonly string[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const name = jobName(entry);
    const other = seen.get(name);
    if (other !== undefined)
      throw new ConfigError(`${other} and ${entry} would both be run as "${name}": rename one of the files`);
    seen.set(name, entry);
    if (!(await exportsDefault(path.resolve(entry))))
      throw new ConfigError(
        `${entry} has no default export: an executable of several jobs runs each module's default export (export default defineJob({ … }))`,
      );
  }
}

/** Whether the module has a default export, read from its syntax alone (nothing runs). */
async function exportsDefault(entry: string): Promise<boolean> {
  const file = await stat(entry).catch(() => undefined);
  if (!file?.isFile())
    throw new ConfigError(
      `the job module ${entry} does not exist: pass the path of a module whose default export is a job`,
    );
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: false,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      outdir: path.dirname(entry),
      logLevel: 'silent',
    });
    return Object.values(result.metafile.outputs).some((output) => output.exports.includes('default'));
  } catch (error) {
    throw new PermanentError(`cannot read ${entry}:\n${describeFailure(error)}`, {
      code: 'BUNDLE_FAILED',
      cause: error,
    });
  }
}

function describeFailure(error: unknown): string {
  const messages = (error as BuildFailure).errors as Message[] | undefined;
  if (!messages) return String((error as Error)?.message ?? error);
  return messages
    .map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`)
    .join('\n');
}
