import { writeSync } from 'node:fs';

// How often lines a full pipe would not take are offered to it again.
const RETRY_MS = 50;

/**
 * Lines to a file descriptor: written at once while the pipe takes them, so none is lost when
 * the process exits. A pipe its reader does not empty (EAGAIN) gets the rest later, in order,
 * from a timer: writing and waiting synchronously there would block the event loop for as long
 * as the host does not read, and with it SIGTERM, the stop timer and the parent watch. The
 * timer keeps the process alive until the lines are out; a signal still ends it.
 */
export class PipeSink {
  readonly #fd: number;
  #queue: Buffer[] = [];
  #broken = false;
  #drained: (() => void)[] = [];

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(text: string): void {
    if (this.#broken) return;
    this.#queue.push(Buffer.from(text));
    if (this.#queue.length === 1) this.#flush();
  }

  /** Resolves once every line written so far is out (or the pipe is gone). */
  drained(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #flush(): void {
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0] as Buffer;
        const n = writeSync(this.#fd, head);
        if (n < head.length) this.#queue[0] = head.subarray(n);
        else this.#queue.shift();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        // One timer at most: while lines wait, write() only queues.
        setTimeout(() => this.#flush(), RETRY_MS);
        return;
      }
      // A host that stopped reading (EPIPE) or a closed descriptor must not crash a run that is
      // committing data: its lines go nowhere, as they would have gone unread.
      this.#broken = true;
      this.#queue = [];
    }
    for (const resolve of this.#drained.splice(0)) resolve();
  }
}

const sinks = new Map<number, PipeSink>();

/** The one sink of a descriptor, so that lines from every writer keep their order. */
export function pipeSink(fd: number): PipeSink {
  let sink = sinks.get(fd);
  if (!sink) sinks.set(fd, (sink = new PipeSink(fd)));
  return sink;
}
