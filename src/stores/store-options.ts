import type { ConfigSchema } from '../config/options.ts';

/** How long runs and rejects stay in the history by default: 90 days. */
export const RETENTION_MS = 90 * 24 * 3600 * 1000;

/** Options every store adds to a job, besides where the database is. */
export const commonStoreOptions = {
  batchSize: {
    type: 'int',
    default: 1000,
    min: 1,
    // A batch is held in memory until it commits: a bigger one is a file read whole.
    max: 1_000_000,
    description: 'records per transaction; each commits with its checkpoint',
  },
  historyRetention: {
    type: 'duration',
    default: '90d',
    description:
      'runs and rejects older than this leave the history at the end of each run (the last success always stays)',
  },
  fullRefresh: {
    type: 'boolean',
    description:
      'set the checkpoint aside and read the whole source again (rows are upserted as usual; nothing is deleted)',
  },
} as const satisfies ConfigSchema;
