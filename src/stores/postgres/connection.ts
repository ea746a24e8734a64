import { finished } from 'node:stream/promises';
import type { Client } from 'pg';
import { classifyPgError, connectionLost } from './errors.ts';

const CONNECT_TIMEOUT_MS = 10_000;
const COPY_CHUNK = 1 << 20;

/**
 * One session on the server, with pg loaded on first use. A broken socket is remembered, so every
 * later query fails with the same RetryableError instead of an unhandled 'error' event.
 */
export class Connection {
  readonly #client: Client;
  #lost: unknown;

  private constructor(client: Client) {
    this.#client = client;
    client.on('error', (error) => void (this.#lost ??= error));
  }

  static async open(url: string, doing: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
    const pg = await import('pg');
    // URL parameters win over these (pg merges the parsed URL last).
    const client = new pg.Client({ connectionString: url, application_name: 'ferry', connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    const connection = new Connection(client);
    try {
      await client.connect();
      // The server probes an idle client every 10 s and drops it after ~30 s of silence, so the
      // session (and the run lock it holds) of a machine that vanished without a FIN is ended soon.
      await client.query(`SET client_min_messages = warning; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4`);
    } catch (error) {
      await client.end().catch(() => {});
      throw connection.#classify(error, doing);
    }
    return connection;
  }

  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /** Runs one statement; `prepare` keeps its plan on the session (for statements run every batch). */
  async query<R>(doing: string, text: string, values: readonly unknown[] = [], prepare = false): Promise<R[]> {
    if (this.#lost !== undefined) throw connectionLost(this.#lost, doing);
    try {
      const config = prepare ? { name: statementName(text), text, values: [...values] } : { text, values: [...values] };
      return (await this.#client.query(config)).rows as R[];
    } catch (error) {
      throw this.#classify(error, doing);
    }
  }

  /** Streams COPY text-format lines into `sql` (a COPY … FROM STDIN). */
  async copyIn(doing: string, sql: string, text: string): Promise<void> {
    if (this.#lost !== undefined) throw connectionLost(this.#lost, doing);
    const { from } = await import('pg-copy-streams');
    const stream = this.#client.query(from(sql));
    try {
      for (let at = 0; at < text.length; at += COPY_CHUNK) {
        if (!stream.write(text.slice(at, at + COPY_CHUNK))) await new Promise((resolve) => stream.once('drain', resolve));
      }
      stream.end();
      await finished(stream);
    } catch (error) {
      throw this.#classify(error, doing);
    }
  }

  /** Ends the session; the server then releases its locks and rolls back what was not committed. */
  async close(): Promise<void> {
    await this.#client.end().catch(() => {});
  }

  #classify(error: unknown, doing: string): Error {
    if (this.#lost !== undefined && error !== this.#lost && !hasSqlState(error)) return connectionLost(this.#lost, doing);
    return classifyPgError(error, doing);
  }
}

function hasSqlState(error: unknown): boolean {
  return /^[0-9A-Z]{5}$/.test(String((error as { code?: unknown }).code ?? ''));
}

/** A name per statement text, so a changed statement (a grown table) is prepared anew. */
function statementName(text: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto'); // ~9 ms at start-up: on first use
  return `ferry_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}
