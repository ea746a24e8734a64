import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project templates `ferry init --template` offers. */
export const TEMPLATES = {
  rest: { job: 'products', what: 'a paginated JSON REST API into SQLite, tested against a local HTTP server' },
  file: { job: 'customers', what: 'a CSV (or TSV, NDJSON, JSON) export into SQLite, tested on a fixture file' },
  blank: { job: 'my-import', what: 'a job to fill in: typed options, a table, read and write' },
} as const;

export type TemplateName = keyof typeof TEMPLATES;

/**
 * ferry's own folder (the one with its package.json): `templates/` sits beside `src/` and `dist/`,
 * and this module is two folders down in either.
 */
export function ferryRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The folder of a template's own files, and of the files every template shares. */
export function templateDirs(name: TemplateName, root: string = ferryRoot()): { own: string; common: string } {
  const own = path.join(root, 'templates', name);
  if (!existsSync(own)) throw new Error(`ferry's templates are missing at ${own}: the package is incomplete`);
  return { own, common: path.join(root, 'templates', 'common') };
}
