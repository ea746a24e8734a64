import { envName, kebabCase } from '../config/names.ts';

/** Config values a host passes; secrets go through the environment instead. */
export type HostConfig = Record<string, string | number | boolean | readonly string[] | undefined>;

/** `{ apiUrl: 'x', dryRun: true, tags: ['a','b'] }` → `--api-url x --dry-run --tags a,b`. */
export function toFlags(config: HostConfig): string[] {
  return Object.entries(config).flatMap(([key, value]) => {
    if (value === undefined) return [];
    const flag = `--${kebabCase(key)}`;
    if (typeof value === 'boolean') return [value ? flag : `--no-${kebabCase(key)}`];
    return [flag, Array.isArray(value) ? value.join(',') : String(value)];
  });
}

/** `{ apiKey: 's' }` → `{ API_KEY: 's' }` (with the job's env prefix, if it has one). */
export function toEnv(secrets: Record<string, string | undefined>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secrets)) if (value !== undefined) out[envName(key, prefix)] = value;
  return out;
}
