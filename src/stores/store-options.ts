import type { ConfigSchema } from '../config/options.ts';

/** Options every store adds to a job, besides where the database is. */
export const commonStoreOptions = {
  batchSize: { type: 'int', default: 1000, min: 1, description: 'records per transaction; each commits with its checkpoint' },
} as const satisfies ConfigSchema;
