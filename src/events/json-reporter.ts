import type { FerryEvent } from './protocol.ts';
import type { Reporter } from './reporter.ts';
import { stringify } from '../values/deep-json.ts';
import { pipeSink } from './pipe-sink.ts';

export interface LineSink {
  write(line: string): unknown;
}

export interface JsonReporterOptions {
  /** fd 1 by default, each line written at once so none is lost at exit. */
  stdout?: LineSink;
  /** Error-level lines are copied here, for cron's MAILTO and `2>>` logs; fd 2 by default. */
  stderr?: LineSink;
}

/**
 * One JSON object per line, written at once (none lost at exit); a full pipe gets them later,
 * in order, without blocking the run (pipe-sink.ts).
 */
export class JsonReporter implements Reporter {
  readonly #stdout: LineSink;
  readonly #stderr: LineSink;

  constructor(options: JsonReporterOptions = {}) {
    this.#stdout = options.stdout ?? pipeSink(1);
    this.#stderr = options.stderr ?? pipeSink(2);
  }

  emit(event: FerryEvent): void {
    const line = `${stringify(event)}\n`;
    this.#stdout.write(line);
    if (event.type === 'log' && event.level === 'error') this.#stderr.write(line);
  }
}
