/**
 * The option schema a job declares, and the config type inferred from it.
 * One literal per option, no builders: `{ type: 'int', default: 100, description: '…' }`.
 */
interface OptionBase {
  description: string;
  /** Fails at start-up when no flag, env variable, env-file line or default gives a value. */
  required?: boolean;
  /** Shown in `--help` and used as the value in the generated `.env.example`. */
  example?: string;
  /** Never printed: redacted from every output and left blank in `.env.example`. */
  secret?: boolean;
  /** Overrides the derived environment variable name (the job's prefix still applies). */
  env?: string;
}

export interface StringOption extends OptionBase { type: 'string'; default?: string }
export interface IntOption extends OptionBase { type: 'int'; default?: number; min?: number; max?: number }
export interface NumberOption extends OptionBase { type: 'number'; default?: number; min?: number; max?: number }
export interface BooleanOption extends OptionBase { type: 'boolean'; default?: boolean }
/** An absolute URL; credentials in it are treated as secrets. */
export interface UrlOption extends OptionBase { type: 'url'; default?: string; protocols?: readonly string[] }
/** A file system path, resolved against the working directory. */
export interface PathOption extends OptionBase { type: 'path'; default?: string }
export interface EnumOption<V extends string = string> extends OptionBase {
  type: 'enum';
  values: readonly V[];
  default?: V;
}
/** A duration such as `500ms`, `30s`, `5m`, `25h`, `7d`; the value is milliseconds. */
export interface DurationOption extends OptionBase { type: 'duration'; default?: string | number }
/** Comma-separated on the command line and in the environment; the flag may also repeat. */
export interface ListOption extends OptionBase { type: 'list'; default?: readonly string[] }

export type OptionSpec =
  | StringOption
  | IntOption
  | NumberOption
  | BooleanOption
  | UrlOption
  | PathOption
  | EnumOption
  | DurationOption
  | ListOption;

export type ConfigSchema = Record<string, OptionSpec>;

type ValueOf<O> = O extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : O extends { type: 'int' | 'number' | 'duration' }
    ? number
    : O extends { type: 'boolean' }
      ? boolean
      : O extends { type: 'list' }
        ? string[]
        : string;

type IsAlwaysSet<O> = O extends { required: true } | { default: unknown } | { type: 'boolean' | 'list' }
  ? true
  : false;

/** The plain typed object a job's `run` receives. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: IsAlwaysSet<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export type ConfigValue = string | number | boolean | string[] | undefined;
