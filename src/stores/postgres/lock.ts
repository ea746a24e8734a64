import { RetryableError } from '../../errors/errors.ts';
import type { Connection } from './connection.ts';

/**
 * The run lock: a session-level advisory lock on the job (per database and schema), taken on the
 * connection that writes the run's batches. It holds across machines and dies with the session,
 * however the process dies (the server ends a session whose socket closed; keepalives catch a
 * machine that vanished). Lock and writes share the session, so no batch can commit once the
 * lock is gone, which a separate lock connection could not promise.
 */
export async function acquireRunLock(conn: Connection, schema: string, job: string, holder: () => Promise<string>): Promise<void> {
  const [{ locked } = { locked: false }] = await conn.query<{ locked: boolean }>('taking the run lock', 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [`ferry:${schema}:${job}`]);
  if (!locked) throw new RetryableError(`already running: ${await holder()}; this run stops without writing (try again when it ends)`, { code: 'LOCKED' });
}
