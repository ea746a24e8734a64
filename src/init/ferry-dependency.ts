import path from 'node:path';

/**
 * How a new project depends on ferry: on the same ferry that runs `init`. Installed from the
 * registry (it lives in a node_modules folder), that is its version; run from a checkout, it is
 * that checkout, by path (npm links it, and builds its dist/ when installing the project).
 */
export function ferryDependency(root: string, version: string): string {
  const installed = path.resolve(root).split(path.sep).includes('node_modules');
  return installed ? `^${version}` : `file:${path.resolve(root)}`;
}
