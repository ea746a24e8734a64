/**
 * `ferry/cli`: the entry point of a job process. End a job module with
 * `if (import.meta.main) await runMain(job);`.
 * @module ferry/cli
 */
export { runMain } from './run-main.ts';
export { runJobs, type JobModules } from './run-jobs.ts';
