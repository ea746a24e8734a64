import type { FerryEvent } from './protocol.ts';

/** A stream of text such as process.stdout; `isTTY` picks pretty output and the progress bar. */
export interface TextOut {
  /** Writes text as it is (lines end with `\n`). */
  write(text: string): unknown;
  /** A terminal: pretty output and a progress bar under `--log-format auto`. */
  isTTY?: boolean | undefined;
  /** The terminal's width, for the progress bar. */
  columns?: number | undefined;
}

/** Where events go: JSON lines, a terminal, memory (tests), or nowhere. */
export interface Reporter {
  /** Takes one event, already redacted, in the order they happen. */
  emit(event: FerryEvent): void;
  /** Flushes what is buffered; called once, after the result event. */
  close?(): void;
}

/** Keeps every event in memory: for tests that call `runJob` in-process. */
export class MemoryReporter implements Reporter {
  /** Every event so far, in order. */
  readonly events: FerryEvent[] = [];
  /** Keeps the event. */
  emit(event: FerryEvent): void {
    this.events.push(event);
  }
  /**
   * The events of one type, e.g. `ofType('log')`, typed as that event.
   * @param type `start`, `log`, `progress` or `result`.
   */
  ofType<T extends FerryEvent['type']>(type: T): Extract<FerryEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<FerryEvent, { type: T }> => e.type === type);
  }
}

export const nullReporter: Reporter = { emit() {} };
