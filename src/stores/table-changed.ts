import { RetryableError } from '../errors/errors.ts';

/**
 * A table (or a column) the run writes to, dropped by another program while it ran: the run
 * made it, so a rerun makes it anew (and starts over, its checkpoint's table being empty).
 * `message` is the database's error, with what the run was doing.
 */
export function tableChanged(message: string, cause: unknown): RetryableError {
  const advice =
    'another program dropped or altered the table while the run wrote to it; run again, and it is made anew';
  return new RetryableError(`${message}: ${advice}`, { code: 'TABLE_CHANGED', cause });
}
