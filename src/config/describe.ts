import { REDACTED, Redactor } from '../secrets/redact.ts';
import { expectedForm } from './coerce.ts';
import { urlCredentials } from './resolve.ts';
import { envName, flagName } from './names.ts';
import type { ConfigSchema, OptionSpec } from './options.ts';

export interface OptionDoc {
  key: string;
  flag: string;
  env: string;
  placeholder: string;
  description: string;
  default?: string;
  spec: OptionSpec;
}

/** Flag, environment variable, default and description of every option, in schema order. */
export function describeSchema(schema: ConfigSchema, prefix?: string): OptionDoc[] {
  return Object.entries(schema).map(([key, spec]) => ({
    key,
    flag: flagName(key),
    env: envName(key, prefix, spec.env),
    placeholder: placeholder(spec),
    description: spec.description,
    ...(spec.default === undefined ? {} : { default: formatDefault(spec) }),
    spec,
  }));
}

function placeholder(spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean':
      return '';
    case 'enum':
      return `<${spec.values.join('|')}>`;
    case 'list':
      return '<a,b,…>';
    default:
      return `<${spec.type}>`;
  }
}

/** A default as help and .env.example show it: never a secret's value, nor a URL's credentials. */
function formatDefault(spec: OptionSpec): string {
  const text = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
  if (spec.secret) return REDACTED;
  return spec.type === 'url' ? new Redactor(urlCredentials(text)).string(text) : text;
}

/** The help line's description: what it does, then how else to give it. */
export function helpText(doc: OptionDoc): string {
  const notes = [`env ${doc.env}`];
  if (doc.spec.required) notes.push('required');
  if (doc.default !== undefined) notes.push(`default ${doc.default}`);
  if (doc.spec.example && !doc.spec.secret) notes.push(`e.g. ${doc.spec.example}`);
  if (doc.spec.secret) notes.push('secret');
  if (doc.spec.type === 'duration') notes.push(expectedForm(doc.spec));
  return `${doc.description} [${notes.join('; ')}]`;
}
