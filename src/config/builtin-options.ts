import type { ConfigSchema } from './options.ts';

/** Options every job has without declaring them. */
export const builtinOptions = {
  envFile: {
    type: 'path',
    description: 'read options from this env file (KEY=value lines); flags and the environment win over it',
    example: '.env',
  },
  logFormat: {
    type: 'enum',
    values: ['auto', 'json', 'pretty'],
    default: 'auto',
    description: 'json: one event per line; pretty: readable lines and a progress bar; auto: pretty on a terminal',
  },
  logLevel: {
    type: 'enum',
    values: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    description: 'the least important log level printed',
  },
  maxRejects: {
    type: 'int',
    default: 0,
    min: 0,
    description: 'fail (65) when more records than this are rejected; the run then keeps nothing but the rejects',
  },
  minRecords: {
    type: 'int',
    default: 0,
    min: 0,
    description: 'fail (65) when the run reads fewer records: the source looks broken; the run then keeps nothing',
  },
  dryRun: {
    type: 'boolean',
    description: 'do the whole run, then roll it back; the result tells what would have changed',
  },
  exitWithParent: {
    type: 'boolean',
    description: "stop as on SIGTERM when the process that started the job dies (an app's sidecar); ferry/host sets it",
  },
} as const satisfies ConfigSchema;

export type BuiltinKey = keyof typeof builtinOptions;
