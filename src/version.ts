import pkg from '../package.json' with { type: 'json' };

export const FERRY_VERSION: string = pkg.version;
