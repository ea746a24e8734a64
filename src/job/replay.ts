import { ConfigError } from '../errors/errors.ts';
import { validate } from '../sources/validate.ts';
import type { Store } from '../stores/store.ts';
import type { Batcher } from './batcher.ts';
import type { ConfigOf, ConfigSchema } from '../config/options.ts';
import type { Job, JobContext } from './types.ts';

/**
 * Runs stored rejects through the job's current validation and `write` again (after the user
 * fixed a schema or a mapping). A reject that now passes is written and removed; one that still
 * fails keeps its place with the new reason.
 */
export async function replayRejects(
  job: Job,
  ctx: JobContext<ConfigOf<ConfigSchema>>,
  store: Store,
  batcher: Batcher,
): Promise<void> {
  const pipeline = job.pipeline;
  if (!pipeline) {
    throw new ConfigError(`${job.name} cannot replay rejects: only a job defined with read and write can`, {
      code: 'REPLAY_UNSUPPORTED',
    });
  }
  const schema = pipeline.schemaFor(ctx.config);
  const rejects = await store.rejects(job.name, Number.MAX_SAFE_INTEGER);
  ctx.log.info(`replaying ${rejects.length} rejects`);
  for (const [i, reject] of rejects.entries()) {
    ctx.throwIfCancelled();
    ctx.count('read');
    ctx.progress('replay', i + 1, rejects.length);
    const result = isRecord(reject.raw)
      ? schema
        ? await validate(schema, reject.raw)
        : { ok: true as const, value: reject.raw }
      : { ok: false as const, reason: `${reject.reason} (unreadable at the source: fix the input and run again)` };
    if (!result.ok) {
      ctx.count('rejected');
      batcher.reject({ ...reject, reason: result.reason });
      continue;
    }
    await pipeline.write(result.value, ctx);
    batcher.resolve(reject.id);
    ctx.log.debug('replayed', { position: reject.position });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
