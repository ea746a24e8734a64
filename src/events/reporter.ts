import type { FerryEvent } from './protocol.ts';

/** A stream of text such as process.stdout; `isTTY` picks pretty output and the progress bar. */
export interface TextOut {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** Where events go: JSON lines, a terminal, memory (tests), or nowhere. */
export interface Reporter {
  emit(event: FerryEvent): void;
  /** Flushes what is buffered; called once, after the result event. */
  close?(): void;
}

export class MemoryReporter implements Reporter {
  readonly events: FerryEvent[] = [];
  emit(event: FerryEvent): void {
    this.events.push(event);
  }
  ofType<T extends FerryEvent['type']>(type: T): Extract<FerryEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<FerryEvent, { type: T }> => e.type === type);
  }
}

export const nullReporter: Reporter = { emit() {} };
