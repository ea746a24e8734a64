import { flagName } from '../config/names.ts';
import type { ConfigSchema, ConfigValue, OptionSpec } from '../config/options.ts';
import type { StoreFactory } from './store.ts';

/**
 * One store factory made of several: the job gets every option of each (a shared one such as
 * --batch-size once), and a run opens the first factory whose selecting option is given
 * (postgres when --db-url is set), else the last one, the fallback (sqlite at ./ferry.db).
 */
export function selectStore(...factories: readonly StoreFactory[]): StoreFactory {
  const fallback = factories.at(-1);
  if (!fallback) throw new TypeError('selectStore needs at least one store');
  const choices = factories.slice(0, -1);
  for (const f of choices) {
    if (f.selectedBy !== undefined && f.selectedBy in f.options) continue;
    const message = `selectStore: the ${f.kind} store names no option of its own that selects it (selectedBy); only the last store may be the fallback`;
    throw new TypeError(message);
  }
  const options: ConfigSchema = {};
  for (const f of factories) {
    for (const [key, spec] of Object.entries(f.options)) {
      const own = optionFor(f, key, spec, choices);
      const seen = options[key];
      if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(own)) {
        const kinds = factories.map((s) => s.kind).join(' and ');
        throw new TypeError(`selectStore: option ${key} means different things to the ${kinds} stores`);
      }
      options[key] = own;
    }
  }
  return {
    kind: factories.map((f) => f.kind).join(' or '),
    options,
    open(config, mode) {
      return (choices.find((f) => isGiven(config[f.selectedBy ?? ''])) ?? fallback).open(config, mode);
    },
  };
}

function isGiven(value: ConfigValue): boolean {
  return value !== undefined && value !== '' && value !== false;
}

/**
 * A selecting option is optional (leaving it out picks another store) and has no example value,
 * which .env.example would fill in and so pick this store; the fallback's own options say when they apply.
 */
function optionFor(factory: StoreFactory, key: string, spec: OptionSpec, choices: readonly StoreFactory[]): OptionSpec {
  if (key === factory.selectedBy) {
    const { required: _required, example, ...optional } = spec;
    return {
      ...optional,
      description: example === undefined ? spec.description : `${spec.description}, e.g. ${example}`,
    } as OptionSpec;
  }
  const shared = choices.some((c) => c !== factory && key in c.options);
  if (choices.includes(factory) || shared) return spec;
  const selectors = choices.map((c) => flagName(c.selectedBy ?? '')).join(' or ');
  return { ...spec, description: `${spec.description}; used when ${selectors} is not given` };
}
