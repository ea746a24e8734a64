import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors/errors.ts';
import { makeFolder } from '../errors/make-folder.ts';
import { ferryDependency } from './ferry-dependency.ts';
import { ferryRoot, templateDirs, TEMPLATES, type TemplateName } from './templates.ts';

export interface InitOptions {
  /** The new project's folder: created, or an empty one. */
  dir: string;
  template: TemplateName;
  /** How the project depends on ferry (an npm spec); default: the ferry running this. */
  ferry?: string;
  cwd: string;
}

export interface InitResult {
  dir: string;
  /** The job module, relative to the project. */
  job: string;
  /** Every file written, relative to the project. */
  files: string[];
}

interface FerryPackage {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Writes a project that installs, tests and builds as it comes (see templates/). */
export async function initProject(options: InitOptions): Promise<InitResult> {
  const dir = path.resolve(options.cwd, options.dir);
  const present = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR')
      throw new ConfigError(
        `${options.dir} is a file, not a folder: name a new folder (ferry init creates it) or an empty one`,
        {
          code: 'INIT_NOT_A_FOLDER',
        },
      );
    throw error;
  });
  if (present.length > 0)
    throw new ConfigError(`${options.dir} is not empty: name a new folder (ferry init creates it) or an empty one`, {
      code: 'INIT_NOT_EMPTY',
    });
  const root = ferryRoot();
  const { own, common } = templateDirs(options.template, root);
  await makeFolder(dir, 'the folder for the project');
  await cp(own, dir, { recursive: true });
  await cp(path.join(common, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  // npm leaves a package's .gitignore out of its tarball: the template keeps it without the dot.
  await cp(path.join(common, 'gitignore'), path.join(dir, '.gitignore'));
  const ferry = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as FerryPackage;
  const job = `jobs/${TEMPLATES[options.template].job}.ts`;
  const manifest = packageJson(
    dir,
    job,
    options.template,
    ferry,
    options.ferry ?? ferryDependency(root, ferry.version),
  );
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    dir,
    job,
    files: (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort(),
  };
}

/** The project's package.json: an ES module package, Node and TypeScript pinned as ferry pins them. */
function packageJson(dir: string, job: string, template: TemplateName, ferry: FerryPackage, ferrySpec: string) {
  const linked = localSource(dir, ferrySpec);
  const pinned = (dependency: string) => ferry.devDependencies[dependency] ?? ferry.dependencies[dependency] ?? '*';
  return {
    name: packageName(path.basename(dir)),
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: `node ${job}`,
      test: 'tsc && node --test "test/**/*.test.ts"',
      build: `ferry build ${job}`,
      'env-example': `node ${job} env-example > .env.example`,
      // npm install writes .env.example from the job, so it lists the options this ferry gives it.
      prepare: 'npm run env-example',
    },
    dependencies: { ferry: ferrySpec, ...(template === 'blank' ? {} : { zod: pinned('zod') }) },
    // Node is pinned here, as in ferry itself: npm scripts and npx run on it, whatever Node the machine has.
    devDependencies: { '@types/node': pinned('@types/node'), node: pinned('node'), typescript: pinned('typescript') },
    // The install scripts npm may run: Node's (it fetches the binary), esbuild's, and a linked ferry's build.
    allowScripts: { node: true, esbuild: true, ...(linked ? { [linked]: true } : {}) },
  };
}

/**
 * How npm's allowScripts names a ferry from the disk, as in the project's lockfile: a linked folder
 * by its path from the project (its prepare builds its dist/), a tarball by its own path.
 */
function localSource(dir: string, spec: string): string | undefined {
  if (!spec.startsWith('file:')) return undefined;
  const target = path.resolve(dir, spec.slice('file:'.length));
  const named = /\.(tgz|tar\.gz)$/.test(target) ? target : path.relative(dir, target);
  return `file:${named.split(path.sep).join('/')}`;
}

/** npm's rules for a name: lower case, no spaces, URL-safe characters. */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[-._]+|-+$/g, '');
  return name === '' ? 'ferry-project' : name;
}
