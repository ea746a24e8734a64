import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError, ExitCode, exitCodeFor, PermanentError, RetryableError } from 'ferry';
import { classifyPgError } from '../../../src/stores/postgres/errors.ts';

const pgError = (code: string, message = 'server says no') => Object.assign(new Error(message), { code });

it('classifies server and socket errors: retryable (75), bad data (65), configuration (64)', () => {
  const cases: [string, Error, ExitCode, string][] = [
    ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 75, 'PG_CONNECTION'],
    ['connection reset', pgError('ECONNRESET', 'read ECONNRESET'), 75, 'PG_CONNECTION'],
    ['socket closed under a query', new Error('Connection terminated unexpectedly'), 75, 'PG_CONNECTION'],
    ['connect timeout', new Error('timeout expired'), 75, 'PG_CONNECTION'],
    [
      'pg_terminate_backend / admin shutdown',
      pgError('57P01', 'terminating connection due to administrator command'),
      75,
      'PG_CONNECTION',
    ],
    ['server starting up', pgError('57P03', 'the database system is starting up'), 75, 'PG_CONNECTION'],
    [
      'idle_in_transaction_session_timeout',
      pgError('25P03', 'terminating connection due to idle-in-transaction timeout'),
      75,
      'PG_CONNECTION',
    ],
    [
      'idle_session_timeout',
      pgError('57P05', 'terminating connection due to idle-session timeout'),
      75,
      'PG_CONNECTION',
    ],
    ['connection exception class', pgError('08006'), 75, 'PG_CONNECTION'],
    ['serialization failure', pgError('40001'), 75, 'PG_CONFLICT'],
    ['deadlock', pgError('40P01', 'deadlock detected'), 75, 'PG_CONFLICT'],
    ['too many connections', pgError('53300', 'sorry, too many clients already'), 75, 'PG_TOO_MANY_CONNECTIONS'],
    ['disk full', pgError('53100'), 75, 'PG_RESOURCES'],
    ['statement timeout', pgError('57014', 'canceling statement due to statement timeout'), 75, 'PG_TIMEOUT'],
    [
      'a standby after failover',
      pgError('25006', 'cannot execute INSERT in a read-only transaction'),
      75,
      'PG_READ_ONLY',
    ],
    ['unique violation', pgError('23505'), 65, 'PG_CONSTRAINT'],
    ['not null violation', pgError('23502'), 65, 'PG_CONSTRAINT'],
    ['bad number', pgError('22P02', 'invalid input syntax for type bigint: "x"'), 65, 'PG_DATA'],
    ['NUL in text', pgError('22021'), 65, 'PG_DATA'],
    ['wrong password', pgError('28P01', 'password authentication failed for user "ferry"'), 65, 'PG_AUTH'],
    ['no pg_hba entry', pgError('28000'), 65, 'PG_AUTH'],
    [
      'a password the URL lacks',
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      65,
      'PG_AUTH',
    ],
    ['no privilege', pgError('42501', 'permission denied for schema imports'), 65, 'PG_PRIVILEGE'],
    ['no such database', pgError('3D000', 'database "imports" does not exist'), 64, 'PG_DATABASE_MISSING'],
    ['too many columns', pgError('54011', 'tables can have at most 1600 columns'), 65, 'PG_LIMIT'],
    ['a row bigger than a page', pgError('54000', 'row is too big: size 12016, maximum size 8160'), 65, 'PG_LIMIT'],
    [
      'a key bigger than an index entry',
      pgError('54000', 'index row size 4016 exceeds btree version 4 maximum 2704 for index "k_pkey"'),
      65,
      'PG_LIMIT',
    ],
    ['a statement too complex', pgError('54001', 'stack depth limit exceeded'), 65, 'PG_LIMIT'],
    ['too many arguments', pgError('54023', 'cannot pass more than 100 arguments to a function'), 65, 'PG_LIMIT'],
    [
      'a system column name',
      pgError('42701', 'column name "xmin" conflicts with a system column name'),
      65,
      'PG_COLUMN_NAME',
    ],
  ];
  const got = cases.map(([what, error]) => {
    const classified = classifyPgError(error, 'writing a batch') as Error & { code?: string };
    return [what, exitCodeFor(classified), classified.code];
  });
  assert.deepEqual(
    got,
    cases.map(([what, , exit, code]) => [what, exit, code]),
  );
});

it('says what to do, and keeps the original as the cause', () => {
  const auth = classifyPgError(pgError('28P01', 'password authentication failed for user "ferry"'), 'connecting');
  assert.ok(auth instanceof PermanentError);
  assert.equal(
    auth.message,
    'PostgreSQL connecting: password authentication failed for user "ferry": check the user and password in --db-url (DATABASE_URL) and the server\'s pg_hba.conf',
  );
  const missing = classifyPgError(pgError('3D000', 'database "imports" does not exist'), 'connecting');
  assert.ok(missing instanceof ConfigError);
  assert.match(missing.message, /create it \(createdb\) or fix the database name in --db-url/);
  const refused = classifyPgError(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }), 'connecting');
  assert.equal(
    refused.message,
    'PostgreSQL connecting: ECONNREFUSED: is the server up, and are the host and port in --db-url (DATABASE_URL) right? Run again later',
  );
  // A step that opens its own connection (verify making a schema) never had a transaction to lose.
  const refusedLater = classifyPgError(
    Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }),
    'creating a schema for a run',
  );
  assert.equal(
    refusedLater.message,
    'PostgreSQL creating a schema for a run: ECONNREFUSED: is the server up, and are the host and port in --db-url (DATABASE_URL) right? Run again later',
  );
  const lost = classifyPgError(
    pgError('57P01', 'terminating connection due to administrator command'),
    'writing a batch',
  );
  assert.ok(lost instanceof RetryableError);
  assert.match(lost.message, /rolled back by the server, run again/);
  assert.equal((lost.cause as Error).message, 'terminating connection due to administrator command');
  // PostgreSQL's statement timer firing as a statement ends says "user request": both name the fix.
  for (const said of ['canceling statement due to statement timeout', 'canceling statement due to user request']) {
    const cancelled = classifyPgError(pgError('57014', said), 'writing a batch');
    assert.ok(cancelled instanceof RetryableError);
    assert.match(cancelled.message, /the server's statement_timeout .* lower --batch-size or raise statement_timeout/);
  }
  assert.match(
    classifyPgError(pgError('57014', 'canceling statement due to user request'), 'writing a batch').message,
    /someone did \(pg_cancel_backend\)/,
  );
});

it('names the PostgreSQL limit a file ran into and what to change', () => {
  const wide = classifyPgError(pgError('54011', 'tables can have at most 1600 columns'), 'creating a table');
  assert.equal(
    wide.message,
    "PostgreSQL creating a table: tables can have at most 1600 columns: PostgreSQL allows at most 1600 columns in a table (columns dropped from it still count): split the file's columns over several files",
  );
  const other = classifyPgError(pgError('54P99', 'some new limit'), 'writing a batch');
  assert.equal(
    other.message,
    "PostgreSQL writing a batch: some new limit: that is a limit of PostgreSQL's: split the file's columns over several files, or shorten its values",
  );
});

it('leaves a bug a bug: an unknown SQLSTATE (a syntax error) is not dressed up as retryable or bad data', () => {
  const syntax = pgError('42601', 'syntax error at or near "FORM"');
  assert.equal(classifyPgError(syntax, 'writing a batch'), syntax);
  assert.equal(exitCodeFor(classifyPgError(syntax, 'writing a batch')), ExitCode.bug);
});
