import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors/errors.ts';

/** Reads KEY=value lines (the dotenv format, as Node's own --env-file reads it). */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError(`cannot read the env file ${path} given by --env-file (or env ENV_FILE): ${reason}`, {
      code: 'CONFIG_ENV_FILE',
      cause: error,
    });
  }
  // A byte-order mark (Windows editors write one) would be part of the first name.
  return { ...parseEnv(text.replace(/^\uFEFF/, '')) } as Record<string, string>;
}
