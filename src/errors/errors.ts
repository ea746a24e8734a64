/**
 * ferry's error classes. Each has a stable `code` (for programs) and says whether a
 * retry can help (`retryable`); the exit code follows from the class alone (see exit-codes.ts).
 */
/** What every ferry error takes besides its message. */
export interface FerryErrorOptions {
  /** A stable code for programs, e.g. `AUTH_REJECTED`; default the class's own. */
  code?: string;
  /** The error underneath, kept as `cause`. */
  cause?: unknown;
}

/**
 * The base of ferry's errors: a message that says what to do, a stable `code`, and whether a
 * retry can help. Throw one of its four classes; anything else thrown is a bug (exit 1).
 */
export abstract class FerryError extends Error {
  /** Whether running again later may succeed. */
  abstract readonly retryable: boolean;
  /** A stable code for programs, e.g. `LOCKED`, `HTTP_401`: in the result line's `error.code`. */
  readonly code: string;

  constructor(message: string, defaultCode: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? defaultCode;
  }
}

/** Bad flags, environment or env file: nothing ran. Exit 64. */
export class ConfigError extends FerryError {
  /** `ConfigError`, also in stacks and logs. */
  override readonly name: string = 'ConfigError';
  /** No: the same run would fail the same way. */
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'CONFIG_INVALID', options);
  }
}

/** Retrying will not help: bad data, rejected credentials, a 4xx. Exit 65. */
export class PermanentError extends FerryError {
  /** `PermanentError`, also in stacks and logs. */
  override readonly name: string = 'PermanentError';
  /** No: the same run would fail the same way. */
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'PERMANENT', options);
  }
}

/** Try again later: network, timeout, 5xx after retries, the lock is held. Exit 75. */
export class RetryableError extends FerryError {
  /** `RetryableError`, also in stacks and logs. */
  override readonly name: string = 'RetryableError';
  /** Yes: run again later. */
  readonly retryable = true;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'RETRYABLE', options);
  }
}

/** The run was stopped by a signal or an aborted `ctx.signal`. Exit 130. */
export class CancelledError extends FerryError {
  /** `CancelledError`, also in stacks and logs. */
  override readonly name: string = 'CancelledError';
  /** No: running again would work, but a person or a host asked to stop; nothing retries it. */
  readonly retryable = false;
  constructor(message = 'cancelled', options?: FerryErrorOptions) {
    super(message, 'CANCELLED', options);
  }
}
