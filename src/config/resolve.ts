import { ConfigError } from '../errors/errors.ts';
import { Redactor } from '../secrets/redact.ts';
import { isSecretName } from '../secrets/secret-name.ts';
import { coerce, expectedForm, isQuoted } from './coerce.ts';
import { envName, flagName } from './names.ts';
import type { ConfigSchema, ConfigValue, OptionSpec } from './options.ts';

export type Origin = 'flag' | 'env' | 'env-file' | 'default' | 'unset';

export interface ConfigSources {
  /** Values commander parsed from argv, keyed by option key; undefined when not given. */
  flags: Readonly<Record<string, unknown>>;
  env: Readonly<Record<string, string | undefined>>;
  envFile?: { path: string; values: Readonly<Record<string, string>> };
  cwd: string;
  prefix?: string;
}

export interface ResolvedConfig {
  values: Record<string, ConfigValue>;
  origins: Record<string, Origin>;
  /** Values that must never reach any output: secret options and URL credentials. */
  secrets: string[];
}

/** "--api-key (env API_KEY)": how every message names an option. */
export function describeOption(key: string, spec: OptionSpec, prefix?: string): string {
  return `${flagName(key)} (or env ${envName(key, prefix, spec.env)})`;
}

/** Precedence: flag > environment > env file > default. Reports every problem at once. */
export function resolveConfig(schema: ConfigSchema, sources: ConfigSources): ResolvedConfig {
  const out: ResolvedConfig = { values: {}, origins: {}, secrets: [] };
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    const name = envName(key, sources.prefix, spec.env);
    const [raw, origin] = pick(key, name, spec, sources);
    if (origin === 'unset') {
      if (spec.required) problems.push(missing(key, spec, sources.prefix));
      out.values[key] = spec.type === 'boolean' ? false : spec.type === 'list' ? [] : undefined;
      out.origins[key] = origin;
      continue;
    }
    const result = coerce(spec, raw, sources.cwd);
    if (!result.ok) {
      problems.push(invalid(key, spec, raw, origin, sources));
      continue;
    }
    out.values[key] = result.value;
    out.origins[key] = origin;
    out.secrets.push(...secretsOf(spec, result.value));
  }
  if (problems.length > 0) {
    throw new ConfigError(problems.join('\n'), {
      code: problems.length === 1 ? codeOf(problems[0]) : 'CONFIG_INVALID',
    });
  }
  return out;
}

function pick(key: string, name: string, spec: OptionSpec, s: ConfigSources): [unknown, Origin] {
  const flag = s.flags[key];
  if (flag !== undefined) return [flag, 'flag'];
  const env = s.env[name];
  if (env !== undefined) return [env, 'env'];
  const fromFile = s.envFile?.values[name];
  if (fromFile !== undefined) return [fromFile, 'env-file'];
  if (spec.default !== undefined) return [spec.default, 'default'];
  return [undefined, 'unset'];
}

function missing(key: string, spec: OptionSpec, prefix?: string): string {
  const example = spec.example && !spec.secret ? `, e.g. ${spec.example}` : '';
  return `missing required option ${describeOption(key, spec, prefix)}: ${spec.description}${example}`;
}

function invalid(key: string, spec: OptionSpec, raw: unknown, origin: Origin, s: ConfigSources): string {
  const shown = spec.secret
    ? '[redacted]'
    : JSON.stringify(spec.type === 'url' ? withoutCredentials(String(raw)) : raw);
  const where = origin === 'env-file' ? ` in ${s.envFile?.path}` : origin === 'default' ? ' (the default)' : '';
  const hint =
    typeof raw === 'string' && isQuoted(raw.trim())
      ? QUOTES_HINT
      : spec.type === 'url' && unparsedUserinfo(String(raw)) !== undefined
        ? USERINFO_HINT
        : '';
  return `invalid value ${shown}${where} for ${describeOption(key, spec, s.prefix)}: expected ${expectedForm(spec)}${hint}`;
}

const QUOTES_HINT =
  '; the quotes are part of the value as given (docker --env-file and `env` keep them; a shell, systemd and --env-file drop them): remove them';
const USERINFO_HINT =
  '; a user name or password holding any of / ? # @ % : must have it percent-encoded (/ %2F, ? %3F, # %23, @ %40, % %25, : %3A)';

/** A URL the option refused is still shown, but not the key in its query string. */
function withoutCredentials(url: string): string {
  return new Redactor(urlCredentials(url)).string(url);
}

function codeOf(problem: string | undefined): string {
  return problem?.startsWith('missing') ? 'CONFIG_MISSING' : 'CONFIG_INVALID';
}

function secretsOf(spec: OptionSpec, value: ConfigValue): string[] {
  if (spec.secret) return (Array.isArray(value) ? value : [String(value)]).filter((v) => v !== '');
  if (spec.type !== 'url' || typeof value !== 'string') return [];
  return urlCredentials(value);
}

/**
 * The credentials a URL carries: its password (or its user name when it has no password: a
 * token as user), and the values of query parameters named like one (`api_key`, `token`, `sig`),
 * each as written and decoded.
 */
export function urlCredentials(text: string): string[] {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const userinfo = url ? url.password || url.username : (unparsedUserinfo(text) ?? '');
  const found = [userinfo, decode(userinfo), ...secretParams(text)];
  return [...new Set(found.filter((v) => v !== ''))];
}

/**
 * What stands between `scheme://` and the last `@` of a URL too broken to parse: most often a
 * password holding `#`, `/` or `?` that was not percent-encoded, which is what broke it.
 */
function unparsedUserinfo(text: string): string | undefined {
  return /^\s*[a-z][a-z0-9+.-]*:\/\/(\S*)@/i.exec(text)?.[1];
}

/** Read from the text itself, so that a URL too broken to parse still has its key found. */
function secretParams(text: string): string[] {
  const query = /\?([^#]*)/.exec(text)?.[1] ?? '';
  return query.split('&').flatMap((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 1 || !isSecretName(decode(pair.slice(0, eq), true))) return [];
    const value = pair.slice(eq + 1);
    return [value, decode(value, true)];
  });
}

/** Percent-decoded; in a query string `+` is a space too. */
function decode(text: string, plusIsSpace = false): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replaceAll('+', ' ') : text);
  } catch {
    return text;
  }
}
