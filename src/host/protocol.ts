/**
 * `ferry/protocol`: parseEvent and the event types only, free of Node built-ins, for a WebView
 * (Tauri's frontend reading a sidecar's stdout through the shell plugin).
 * @module ferry/protocol
 */
export { parseEvent, type JobLine } from './parse-event.ts';
export type {
  FerryEvent,
  Counts,
  ResultEvent,
  ProgressEvent,
  LogEvent,
  StartEvent,
  RunStatus,
} from '../events/protocol.ts';
export { PROTOCOL_VERSION } from '../events/protocol.ts';
