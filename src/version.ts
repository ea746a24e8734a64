import pkg from '../package.json' with { type: 'json' };

/** ferry's version, from its package.json: printed by `--version` and in every start line. */
export const FERRY_VERSION: string = pkg.version;
