import { styleText } from 'node:util';
import type { FerryEvent, LogEvent, ProgressEvent, ResultEvent } from './protocol.ts';
import type { Reporter, TextOut as Out } from './reporter.ts';
import { stringify } from '../values/deep-json.ts';

const LEVEL_STYLE = { debug: 'gray', info: 'cyan', warn: 'yellow', error: 'red' } as const;

/** Readable lines and a live progress bar, for a person at a terminal. */
export class PrettyReporter implements Reporter {
  readonly #out: Out;
  readonly #err: Out;
  #barShown = false;

  constructor(out: Out = process.stdout, err: Out = process.stderr) {
    this.#out = out;
    this.#err = err;
  }

  emit(event: FerryEvent): void {
    switch (event.type) {
      case 'start':
        return this.#line(
          this.#out,
          `${styleText('bold', event.job)} ${event.version}${event.dryRun ? ' (dry run)' : ''} · run ${event.runId}`,
        );
      case 'log':
        return this.#line(event.level === 'error' ? this.#err : this.#out, formatLog(event));
      case 'progress':
        return this.#progress(event);
      case 'schema': {
        const columns = event.columns.map((c) => `${c.name} ${c.type}`).join(', ');
        return this.#line(this.#out, `table ${event.table} ${event.change}: ${columns}`);
      }
      case 'result':
        return this.#line(event.status === 'succeeded' ? this.#out : this.#err, formatResult(event));
    }
  }

  #progress(event: ProgressEvent): void {
    if (!this.#out.isTTY) return;
    const width = Math.max(10, Math.min(40, (this.#out.columns ?? 80) - 40));
    const ratio = event.total ? Math.min(1, event.done / event.total) : undefined;
    const bar =
      ratio === undefined
        ? ''
        : `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] ${(ratio * 100).toFixed(0).padStart(3)}% `;
    const count = event.total ? `${event.done}/${event.total}` : `${event.done}`;
    this.#out.write(`\r\x1b[K${bar}${event.phase} ${count}`);
    this.#barShown = true;
  }

  #line(out: Out, text: string): void {
    if (this.#barShown) {
      this.#out.write('\r\x1b[K');
      this.#barShown = false;
    }
    out.write(`${text}\n`);
  }
}

function formatLog(event: LogEvent): string {
  const { v: _v, ts, type: _t, level, msg, ...fields } = event;
  const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : stringify(v)}`);
  const time = styleText('gray', ts.slice(11, 19));
  return [time, styleText(LEVEL_STYLE[level], level.padEnd(5)), msg, ...extra].join(' ');
}

function formatResult(event: ResultEvent): string {
  const c = event.counts;
  const counts = `read ${c.read}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, deleted ${c.deleted}, rejected ${c.rejected}`;
  const head = event.status === 'succeeded' ? styleText('green', '✔ succeeded') : styleText('red', `✖ ${event.status}`);
  const error = event.error
    ? `\n  ${event.error.code}: ${event.error.message}${event.error.retryable ? ' (retryable)' : ''}`
    : '';
  return `${head} in ${(event.durationMs / 1000).toFixed(2)}s, exit ${event.exitCode}${event.dryRun ? ' (dry run, nothing kept)' : ''}: ${counts}${error}`;
}
