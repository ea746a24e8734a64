import { ConfigError, PermanentError, RetryableError, isFerryError } from '../../errors/errors.ts';
import { tableChanged } from '../table-changed.ts';

interface PgErrorFields {
  /** SQLSTATE from the server, or a Node error code (ECONNREFUSED) for the socket. */
  code?: string;
  where?: string;
  detail?: string;
}

// SQLSTATEs a later run can get past: the server went away or is busy, a transaction lost a race.
const RETRYABLE: Record<string, string> = {
  '40001': 'PG_CONFLICT', // serialization failure
  '40P01': 'PG_CONFLICT', // deadlock detected
  '55P03': 'PG_CONFLICT', // lock not available
  '57014': 'PG_TIMEOUT', // statement timeout or cancelled
  '53300': 'PG_TOO_MANY_CONNECTIONS',
  '53100': 'PG_RESOURCES', // disk full
  '53200': 'PG_RESOURCES', // out of memory
  '58030': 'PG_RESOURCES', // I/O error
  '25006': 'PG_READ_ONLY', // read-only transaction: a standby, e.g. during a failover
};

// Limits of PostgreSQL's that a wide file or a long value runs into (class 54): every run meets them again.
const SPLIT = "split the file's columns over several files";
const TOO_BIG = `the statement is too big for the server: ${SPLIT}`;
const LIMITS: Record<string, string> = {
  '54011': `PostgreSQL allows at most 1600 columns in a table (columns dropped from it still count): ${SPLIT}`,
  '54000':
    'a row must fit in one 8 kB page (only values of about 2 kB or more can move out of it, so many short columns cannot) ' +
    `and a key value in about 2.7 kB: ${SPLIT}, or use a shorter key`,
  '54001': TOO_BIG,
  '54023': TOO_BIG,
};
const LIMIT_ADVICE = `that is a limit of PostgreSQL's: ${SPLIT}, or shorten its values`;
// 42701: a column twice, or named as a system column.
const COLUMN_NAME_ADVICE =
  'a table takes each column once (in its key too), and none named xmin, xmax, cmin, cmax, ctid or tableoid ' +
  "(PostgreSQL's own); rename the column in the file's header";
const DB_URL = '--db-url (DATABASE_URL)';
// A load spike passes; a batch that always takes longer than the setting fails every run alike.
const STATEMENT_TIMEOUT = `: the server's statement_timeout (set for the user, the database or in ${DB_URL} options) ended it; if it happens again, lower --batch-size or raise statement_timeout`;
// PostgreSQL says "due to user request" when its statement timer fires just as a statement ends
// (the timer's mark is cleared, the cancel is not); ferry itself cancels no statement.
const CANCELLED = `: ferry cancels none of its statements, so someone did (pg_cancel_backend), or the server's statement_timeout (set for the user, the database or in ${DB_URL} options) fired as one ended; if it happens again, lower --batch-size or raise statement_timeout`;
const AUTH = ['PG_AUTH', `check the user and password in ${DB_URL} and the server's pg_hba.conf`] as const;
const ROW_SECURITY =
  "the table's row-level security policies do not let the user write these rows: add a policy that does " +
  '(CREATE POLICY … FOR ALL TO <user> USING (…) WITH CHECK (…)), or import as a user that bypasses them';
// ALTER TABLE … ADD COLUMN, for the columns the job declares that the table lacks (file-import: _ferry_id too).
const NOT_OWNER =
  'ferry adds the columns the job writes that the table lacks, and only its owner may: import as the owner ' +
  '(or a member of the owning role), or have the owner add them (the schema event of a run as the owner lists them)';
// SQLSTATEs that need a person: the code ferry gives each, and the fix its message names.
const FIXES: Record<string, readonly [code: string, fix: string]> = {
  '42701': ['PG_COLUMN_NAME', COLUMN_NAME_ADVICE],
  '28P01': AUTH,
  '28000': AUTH,
  '42501': ['PG_PRIVILEGE', 'the user needs CREATE on the schema and INSERT, UPDATE, DELETE on its tables'],
  // The URL names a database or schema that does not exist: a ConfigError (class 3).
  '3D000': ['PG_DATABASE_MISSING', `create it (createdb) or fix the database name in ${DB_URL}`],
  '3F000': ['PG_SCHEMA_MISSING', `create the schema, or fix search_path in ${DB_URL}`],
};

// The session ended: admin shutdown or pg_terminate_backend, crash shutdown, server starting up, or a
// timeout of the server's ended it (idle_in_transaction_session_timeout, idle_session_timeout, transaction_timeout).
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03', '25P03', '57P05', '25P04']);
// Codes only a connection attempt gets: no session, so no transaction, existed yet.
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
const SOCKET_CODES = new Set([...NEVER_CONNECTED, 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);
// pg's own messages when the socket closes or never opens, and when the server wants a password the URL lacks.
const LOST = /Connection terminated|not queryable|timeout expired|connection timeout|Query read timeout/i;
const NO_PASSWORD = /SASL|client password must be a string/;

/** What to do about a cancelled statement (57014), by PostgreSQL's words for why. */
function cancelAdvice(said: string): string {
  if (/statement timeout/.test(said)) return STATEMENT_TIMEOUT;
  return /user request/.test(said) ? CANCELLED : '';
}

/**
 * Tells a passing condition (the server went away, a deadlock, too many connections) from one
 * that needs a person (bad data, rejected credentials, a database that does not exist).
 * `doing` names the step for the message; 'connecting' when no session exists yet.
 */
export function classifyPgError(error: unknown, doing: string): Error {
  if (isFerryError(error) || !(error instanceof Error)) return error as Error;
  const { code = '', where, detail } = error as Error & PgErrorFields;
  const message = `PostgreSQL ${doing}: ${error.message || code}${detail ? ` (${detail})` : ''}${where && code.startsWith('22') ? ` (${where})` : ''}`;
  const options = (c: string) => ({ code: c, cause: error });
  if (code in RETRYABLE) {
    const advice = code === '57014' ? cancelAdvice(error.message) : '';
    return new RetryableError(`${message}${advice}`, options(RETRYABLE[code] ?? 'PG_RETRYABLE'));
  }
  if (
    code.startsWith('08') ||
    SESSION_ENDED.has(code) ||
    SOCKET_CODES.has(code) ||
    (code === '' && LOST.test(error.message))
  ) {
    const advice =
      doing === 'connecting' || NEVER_CONNECTED.has(code)
        ? `: is the server up, and are the host and port in ${DB_URL} right? Run again later`
        : '; the transaction in progress was rolled back by the server, run again';
    return new RetryableError(`${message}${advice}`, options('PG_CONNECTION'));
  }
  if (code === '42P01' || code === '42703') return tableChanged(message, error); // undefined table, column
  // A setting the URL's options get wrong (an unknown name, a bad value) fails the connection: the URL is to fix.
  if (doing === 'connecting' && (code.startsWith('22') || (code.startsWith('42') && code !== '42501')))
    return new ConfigError(`${message}: fix the options in ${DB_URL}`, options('PG_OPTIONS'));
  if (code.startsWith('54'))
    return new PermanentError(`${message}: ${LIMITS[code] ?? LIMIT_ADVICE}`, options('PG_LIMIT'));
  if (code.startsWith('23')) return new PermanentError(message, options('PG_CONSTRAINT'));
  // RAISE EXCEPTION or ASSERT in a trigger or function of the database's: it refuses the rows, as a constraint does.
  if (code === 'P0001' || code === 'P0004')
    return new PermanentError(
      `${message} (raised in the database, by a trigger or a function)`,
      options('PG_CONSTRAINT'),
    );
  if (code.startsWith('22')) return new PermanentError(message, options('PG_DATA'));
  if (code === '42501' && /row-level security/.test(error.message))
    return new PermanentError(`${message}: ${ROW_SECURITY}`, options('PG_PRIVILEGE'));
  if (code === '42501' && /must be owner/.test(error.message))
    return new PermanentError(`${message}: ${NOT_OWNER}`, options('PG_PRIVILEGE'));
  const fix = FIXES[code === '' && NO_PASSWORD.test(error.message) ? '28P01' : code];
  if (!fix) return error;
  const [ferryCode, advice] = fix;
  return new (code.startsWith('3') ? ConfigError : PermanentError)(`${message}: ${advice}`, options(ferryCode));
}

/** The RetryableError for any query after the connection broke. */
export function connectionLost(cause: unknown, doing: string): RetryableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = `PostgreSQL ${doing}: lost the connection (${reason}); the transaction in progress was rolled back by the server, run again`;
  return new RetryableError(message, { code: 'PG_CONNECTION', cause });
}
