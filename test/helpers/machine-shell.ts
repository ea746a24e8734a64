import path from 'node:path';

/** A newcomer's PATH: the machine's (its own Node first, here Node 20), none of this checkout's node_modules/.bin. */
export const MACHINE_PATH = (process.env.PATH ?? '/usr/bin:/bin')
  .split(path.delimiter)
  .filter((p) => !p.includes('node_modules'))
  .join(path.delimiter);

/** What npm needs besides the PATH: HOME, for its cache (shared with the checkout's own installs). */
export const MACHINE_ENV = { PATH: MACHINE_PATH, HOME: process.env.HOME ?? '/root' };
