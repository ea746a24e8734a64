import { builtinOptions } from '../config/builtin-options.ts';
import { kebabCase } from '../config/names.ts';
import type { ConfigSchema } from '../config/options.ts';
import { validateTables } from '../stores/tables.ts';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ConfigOf } from '../config/options.ts';
import type { Job, JobContext, JobDefinition, PipelineJobDefinition } from './types.ts';

/**
 * Declares a job. Returns it unchanged but for a brand, so the type of `ctx.config`
 * flows from the `config` literal: `required` or `default` make a value always set.
 */
export function defineJob<const S extends ConfigSchema, T = Record<string, unknown>>(
  definition: JobDefinition<S, T>,
): Job<S> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(definition.name)) {
    throw new TypeError(`job name ${JSON.stringify(definition.name)}: use lowercase letters, digits and dashes`);
  }
  for (const key of Object.keys(definition.config)) {
    if (key in builtinOptions)
      throw new TypeError(`job ${definition.name}: option ${key} is built in; choose another name`);
    if (!/^[a-z][a-zA-Z0-9]*$/.test(key))
      throw new TypeError(`job ${definition.name}: option ${key} must be camelCase`);
    if (kebabCase(key) === 'help' || kebabCase(key) === 'version') throw new TypeError(`option ${key} is reserved`);
  }
  if (definition.tables && !definition.store)
    throw new TypeError(`job ${definition.name} declares tables but no store (e.g. store: sqlite())`);
  for (const key of Object.keys(definition.store?.options ?? {})) {
    if (key in definition.config)
      throw new TypeError(
        `job ${definition.name}: option ${key} comes with the ${definition.store?.kind} store; choose another name`,
      );
  }
  if (definition.tables) validateTables(definition.tables);
  if (definition.run) return { ...definition, run: definition.run, kind: 'ferry.job' };
  return pipelineJob(definition);
}

function pipelineJob<S extends ConfigSchema, T>(definition: PipelineJobDefinition<S, T>): Job<S> {
  const { read, write, schema, ...base } = definition;
  const schemaFor = (config: ConfigOf<S>) =>
    (typeof schema === 'function' ? schema(config) : schema) as StandardSchemaV1<unknown, unknown> | undefined;
  return {
    ...base,
    kind: 'ferry.job',
    async run(ctx) {
      const validator = schemaFor(ctx.config) as StandardSchemaV1<unknown, T> | undefined;
      for await (const items of read(ctx)) {
        ctx.throwIfCancelled();
        // A page of items at once: one await to accept them all, none for what the store queues.
        for (const { record } of await ctx.acceptAll(Array.isArray(items) ? items : [items], validator)) {
          const written = write(record, ctx);
          if (written) await written;
        }
      }
    },
    pipeline: {
      schemaFor,
      write: write as (record: unknown, ctx: JobContext<ConfigOf<S>>) => Promise<void> | void,
    },
  };
}

/** Whether a value is a job made by {@link defineJob} (by its brand, so two copies of ferry agree). */
export function isJob(value: unknown): value is Job {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ferry.job';
}
