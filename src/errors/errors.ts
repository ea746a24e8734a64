/**
 * ferry's error classes. Each has a stable `code` (for programs) and says whether a
 * retry can help (`retryable`); the exit code follows from the class alone (see exit-codes.ts).
 */
export interface FerryErrorOptions {
  code?: string;
  cause?: unknown;
}

export abstract class FerryError extends Error {
  abstract readonly retryable: boolean;
  readonly code: string;

  constructor(message: string, defaultCode: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? defaultCode;
  }
}

/** Bad flags, environment or env file: nothing ran. Exit 64. */
export class ConfigError extends FerryError {
  override readonly name: string = 'ConfigError';
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'CONFIG_INVALID', options);
  }
}

/** Retrying will not help: bad data, rejected credentials, a 4xx. Exit 65. */
export class PermanentError extends FerryError {
  override readonly name: string = 'PermanentError';
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'PERMANENT', options);
  }
}

/** Try again later: network, timeout, 5xx after retries, the lock is held. Exit 75. */
export class RetryableError extends FerryError {
  override readonly name: string = 'RetryableError';
  readonly retryable = true;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'RETRYABLE', options);
  }
}

/** The run was stopped by a signal or an aborted `ctx.signal`. Exit 130. */
export class CancelledError extends FerryError {
  override readonly name: string = 'CancelledError';
  // Running again would work, but a person or a host asked to stop: no automatic retry.
  readonly retryable = false;
  constructor(message = 'cancelled', options?: FerryErrorOptions) {
    super(message, 'CANCELLED', options);
  }
}
