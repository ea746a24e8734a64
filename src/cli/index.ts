export { runMain } from './run-main.ts';
export { main } from './main.ts';
export type { ProcessIO } from './process-io.ts';
