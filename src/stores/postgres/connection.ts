import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Client } from 'pg';
import { isFerryError } from '../../errors/errors.ts';
import { classifyPgError, connectionLost } from './errors.ts';
import { NO_TLS, tlsError, tlsUrls } from './tls.ts';

const CONNECT_TIMEOUT_MS = 10_000;
const COPY_CHUNK = 1 << 20;

/**
 * One session on the server, with pg loaded on first use. A broken socket is remembered, so every
 * later query fails with the same RetryableError instead of an unhandled 'error' event, and every
 * query or COPY still waiting settles with it: pg leaves some of them pending forever when the
 * session dies under them, and a process whose last handle closed would then exit without a word.
 */
export class Connection {
  readonly #client: Client;
  #lost: unknown;
  #closing = false;
  /** Rejects with the cause once the session is gone; every operation races it. */
  readonly #gone: Promise<never>;
  readonly #fail: (cause: unknown) => void;
  /** Statements held to go with the next one (see hold). */
  #held: string[] = [];

  private constructor(client: Client) {
    this.#client = client;
    const { promise, reject } = Promise.withResolvers<never>();
    this.#gone = promise;
    this.#gone.catch(() => {}); // only a pending operation needs to hear of it
    this.#fail = reject;
    client.on('error', (error) => this.#lose(error));
  }

  static async open(url: string, doing: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
    const urls = tlsUrls(url);
    try {
      return await Connection.#connect(urls.url, doing, connectTimeoutMs);
    } catch (error) {
      // sslmode=prefer or allow: the server has no TLS, so plain text, as libpq does
      if (urls.plain === undefined || (error as { cause?: Error }).cause?.message !== NO_TLS) throw error;
      return Connection.#connect(urls.plain, doing, connectTimeoutMs);
    }
  }

  static async #connect(url: string, doing: string, connectTimeoutMs: number): Promise<Connection> {
    const pg = await import('pg');
    let client: Client;
    try {
      // URL parameters win over these (pg merges the parsed URL last). pg reads sslrootcert and the like here.
      client = new pg.Client({
        connectionString: url,
        application_name: 'ferry',
        connectionTimeoutMillis: connectTimeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
    } catch (error) {
      throw (error instanceof Error && tlsError(error)) || classifyPgError(error, doing);
    }
    const connection = new Connection(client);
    try {
      await client.connect();
      // A socket closed without an error (the server restarting, a proxy dropping it) is a loss too;
      // before the session existed, a failed connect says so itself.
      client.on('end', () => {
        if (!connection.#closing) connection.#lose(new Error('the server closed the connection'));
      });
      // The server probes an idle client every 10 s and drops it after ~30 s of silence, so the
      // session (and the run lock it holds) of a machine that vanished without a FIN is ended soon.
      await client.query(
        `SET client_min_messages = warning; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4`,
      );
    } catch (error) {
      await connection.close();
      throw (error instanceof Error && tlsError(error)) || connection.#classify(error, doing);
    }
    return connection;
  }

  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /**
   * Holds a statement that returns no rows (its values written in) until the next statement, and
   * sends it first in the same message: each round trip of a batch waits for the job to yield.
   */
  hold(text: string): void {
    this.#held.push(text);
  }

  /** Forgets what is held: the transaction it belonged to is being rolled back. */
  dropHeld(): void {
    this.#held = [];
  }

  /** Runs one statement; `prepare` keeps its plan on the session (for statements run every batch). */
  async query<R>(doing: string, text: string, values: readonly unknown[] = [], prepare = false): Promise<R[]> {
    if (this.#lost !== undefined) throw connectionLost(this.#lost, doing);
    try {
      // With no values to bind, the held statements and this one go as one simple query.
      const alone = values.length > 0 || prepare;
      if (alone && this.#held.length > 0) await this.#whileAlive(this.#client.query(this.#takeHeld('')));
      const sql = alone ? text : this.#takeHeld(text);
      const config = prepare
        ? { name: statementName(sql), text: sql, values: [...values] }
        : { text: sql, values: [...values] };
      const result = await this.#whileAlive(this.#client.query(config));
      return (Array.isArray(result) ? (result.at(-1) as (typeof result)[number]) : result).rows as R[];
    } catch (error) {
      throw this.#classify(error, doing);
    }
  }

  /** Streams COPY text-format lines into `sql` (a COPY … FROM STDIN), after what is held. */
  /** Sends `text` to a COPY … FROM STDIN; resolves to the rows the server says it copied. */
  async copyIn(doing: string, sql: string, text: string): Promise<number> {
    if (this.#lost !== undefined) throw connectionLost(this.#lost, doing);
    const { from } = await import('pg-copy-streams');
    const stream = this.#client.query(from(this.#takeHeld(sql)));
    // Listening from the start: pg reports a failed COPY as an 'error' event on the stream, which
    // would be an uncaught exception while no one listens (as during a wait for 'drain').
    const done = this.#whileAlive(finished(stream));
    done.catch(() => {});
    try {
      for (let at = 0; at < text.length; at += COPY_CHUNK) {
        if (!stream.write(text.slice(at, at + COPY_CHUNK))) await Promise.race([once(stream, 'drain'), done]);
      }
      stream.end();
      await done;
      return stream.rowCount;
    } catch (error) {
      throw this.#classify(error, doing);
    }
  }

  /** The held statements, then `text`, as one string; nothing is held after. */
  #takeHeld(text: string): string {
    if (this.#held.length === 0) return text;
    const all = [...this.#held, text].filter((s) => s !== '').join(';\n');
    this.#held = [];
    return all;
  }

  /** Ends the session; the server then releases its locks and rolls back what was not committed. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#client.end().catch(() => {});
  }

  /** The operation's outcome, or the session's loss if that comes first. */
  #whileAlive<T>(operation: Promise<T>): Promise<T> {
    return Promise.race([operation, this.#gone]);
  }

  #lose(cause: unknown): void {
    this.#lost ??= cause;
    this.#fail(this.#lost);
  }

  #classify(error: unknown, doing: string): Error {
    const lost = this.#lost;
    if (lost !== undefined && error !== lost && !hasSqlState(error)) return connectionLost(lost, doing);
    const classified = classifyPgError(error, doing);
    // Whatever else the dying session said, a later run starts on a new one.
    return lost !== undefined && !isFerryError(classified) ? connectionLost(lost, doing) : classified;
  }
}

function hasSqlState(error: unknown): boolean {
  return /^[0-9A-Z]{5}$/.test(String((error as { code?: unknown }).code ?? ''));
}

/** A name per statement text, so a changed statement (a grown table) is prepared anew. */
function statementName(text: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto'); // on first use: loading it slows start-up
  return `ferry_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}
