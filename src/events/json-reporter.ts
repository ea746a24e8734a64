import sonicBoom from 'sonic-boom';
import type { FerryEvent } from './protocol.ts';
import type { Reporter } from './reporter.ts';
import { stringify } from '../values/deep-json.ts';

export interface LineSink {
  write(line: string): unknown;
}

export interface JsonReporterOptions {
  /** Defaults to a synchronous writer on fd 1, so no line is lost at exit. */
  stdout?: LineSink;
  /** Error-level lines are copied here, for cron's MAILTO and `2>>` logs; fd 2 by default. */
  stderr?: LineSink;
}

/**
 * One JSON object per line. Written synchronously through sonic-boom (pino's destination),
 * which retries a full pipe (EAGAIN) instead of dropping lines. pino itself is not used:
 * the protocol's lines are not log records, and loading it would slow every start (bench/RESULTS.md, start-up).
 */
export class JsonReporter implements Reporter {
  readonly #stdout: LineSink;
  readonly #stderr: LineSink;

  constructor(options: JsonReporterOptions = {}) {
    this.#stdout = options.stdout ?? syncDestination(1);
    this.#stderr = options.stderr ?? syncDestination(2);
  }

  emit(event: FerryEvent): void {
    const line = `${stringify(event)}\n`;
    this.#stdout.write(line);
    if (event.type === 'log' && event.level === 'error') this.#stderr.write(line);
  }
}

function syncDestination(fd: number): LineSink {
  // A CommonJS module: at run time the default import is module.exports, which carries the class as .SonicBoom.
  const dest = new sonicBoom.SonicBoom({ fd, sync: true });
  // A host that stopped reading (EPIPE) must not crash a run that is committing data.
  dest.on('error', () => {});
  return dest;
}
