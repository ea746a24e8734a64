import type { FerryEvent } from '../events/protocol.ts';

/** A line a job printed: a protocol event, or text that is not one (a crash dump, a stray print). */
export type JobLine =
  | {
      /** A protocol event. */
      kind: 'event';
      /** The parsed event; `event.type` tells which. */
      event: FerryEvent;
    }
  | {
      /** Text that is not an event. */
      kind: 'text';
      /** Where it was printed. */
      stream: 'stdout' | 'stderr';
      /** The line, without its line end. */
      line: string;
    };

// Every event type of docs/protocol.schema.json (test/host/parse-event.test.ts holds the two together).
const TYPES = new Set(['start', 'log', 'progress', 'schema', 'result']);

/**
 * Parses one stdout line. Pure and dependency-free, for hosts that spawn the job themselves
 * (Tauri's shell plugin): anything that is not a version-1 event comes back as text, never lost.
 */
export function parseEvent(line: string): JobLine {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (!text.startsWith('{')) return { kind: 'text', stream: 'stdout', line: text };
  try {
    const value = JSON.parse(text) as Partial<FerryEvent> | null;
    if (
      value &&
      value.v === 1 &&
      typeof value.type === 'string' &&
      TYPES.has(value.type) &&
      typeof value.ts === 'string'
    ) {
      return { kind: 'event', event: value as FerryEvent };
    }
  } catch {
    // not JSON: text
  }
  return { kind: 'text', stream: 'stdout', line: text };
}
