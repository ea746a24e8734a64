/**
 * `ferry/host`: what an app needs to start a job, follow it, cancel it and retry it. Free of
 * node:sqlite and heavy dependencies: it loads in Electron's main process and on Node >= 20.
 * @module ferry/host
 */
export { startJob, type JobHandle, type JobResult, type StartOptions } from './start-job.ts';
export { parseEvent, type JobLine } from './parse-event.ts';
export { runWithRetry, type RetryPolicy } from './retry.ts';
export { toFlags, toEnv, type HostConfig } from './job-args.ts';
export type { FerryEvent, Counts, ResultEvent, ProgressEvent, LogEvent, StartEvent } from '../events/protocol.ts';
