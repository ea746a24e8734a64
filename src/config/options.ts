/**
 * The option schema a job declares, and the config type inferred from it.
 * One literal per option, no builders: `{ type: 'int', default: 100, description: '…' }`.
 */
/** What every option takes, whatever its type. */
export interface OptionBase {
  /** One line for `--help` and `.env.example`. */
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

/** Any text. */
export interface StringOption extends OptionBase {
  /** Always `string`. */
  type: 'string';
  /** The value when none is given. */
  default?: string;
}
/** A whole number, e.g. `42`. */
export interface IntOption extends OptionBase {
  /** Always `int`. */
  type: 'int';
  /** The value when none is given. */
  default?: number;
  /** The smallest value accepted. */
  min?: number;
  /** The largest value accepted. */
  max?: number;
}
/** A number, e.g. `0.5`. */
export interface NumberOption extends OptionBase {
  /** Always `number`. */
  type: 'number';
  /** The value when none is given. */
  default?: number;
  /** The smallest value accepted. */
  min?: number;
  /** The largest value accepted. */
  max?: number;
}
/** `--flag` / `--no-flag`; in the environment `true/false/1/0/yes/no`. Always set (default false). */
export interface BooleanOption extends OptionBase {
  /** Always `boolean`. */
  type: 'boolean';
  /** The value when none is given; default false. */
  default?: boolean;
}
/** An absolute URL; credentials in it are treated as secrets. */
export interface UrlOption extends OptionBase {
  /** Always `url`. */
  type: 'url';
  /** The value when none is given. */
  default?: string;
  /** The schemes accepted, without `:`; default `http` and `https`. */
  protocols?: readonly string[];
}
/** A file system path, resolved against the working directory. */
export interface PathOption extends OptionBase {
  /** Always `path`. */
  type: 'path';
  /** The value when none is given, resolved like a given one. */
  default?: string;
}
/** One of a fixed set of words; the value's type is their union. */
export interface EnumOption<V extends string = string> extends OptionBase {
  /** Always `enum`. */
  type: 'enum';
  /** The words accepted. */
  values: readonly V[];
  /** The value when none is given. */
  default?: V;
}
/** A duration such as `500ms`, `30s`, `5m`, `25h`, `7d`; the value is milliseconds. */
export interface DurationOption extends OptionBase {
  /** Always `duration`. */
  type: 'duration';
  /** The value when none is given: a duration text or milliseconds. */
  default?: string | number;
  /** The longest accepted, a duration text such as `24d`; without it, 1000 years. */
  max?: string;
}
/** Comma-separated on the command line and in the environment; the flag may also repeat. */
export interface ListOption extends OptionBase {
  /** Always `list`. */
  type: 'list';
  /** The value when none is given; default empty. */
  default?: readonly string[];
}

/** One option of a job's `config`: its `type` decides how it is parsed and its value's type. */
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

/** A job's options by key: `apiKey` becomes `--api-key` and `API_KEY`. */
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

type IsAlwaysSet<O> = O extends { required: true } | { default: unknown } | { type: 'boolean' | 'list' } ? true : false;

/** The plain typed object a job's `run` receives. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: IsAlwaysSet<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** An option's value once resolved, as a store's `open` receives it. */
export type ConfigValue = string | number | boolean | string[] | undefined;
