/**
 * ferry's error classes. Each has a stable `code` (for programs), a `kind` from which the exit
 * code follows (see exit-codes.ts), and says whether a retry can help (`retryable`).
 */
/** What every ferry error takes besides its message. */
export interface FerryErrorOptions {
  /** A stable code for programs, e.g. `AUTH_REJECTED`; default the class's own. */
  code?: string;
  /** The error underneath, kept as `cause`. */
  cause?: unknown;
}

/** What an error means to the caller: fix the config (64), fix the data (65), try later (75), stopped (130). */
export type ErrorKind = 'config' | 'permanent' | 'retryable' | 'cancelled';

// A brand every copy of ferry sets alike: a job that bundles its own ferry, or a host that loads
// two, still has its errors told apart from bugs, where `instanceof` would see strangers.
const BRAND = Symbol.for('ferry.error');

/**
 * The base of ferry's errors: a message that says what to do, a stable `code`, a `kind` and
 * whether a retry can help. Throw one of its four classes; anything else thrown is a bug (exit 1).
 */
export abstract class FerryError extends Error {
  /** What the error means to the caller; the exit code follows from it. */
  abstract readonly kind: ErrorKind;
  /** Whether running again later may succeed. */
  abstract readonly retryable: boolean;
  /** A stable code for programs, e.g. `LOCKED`, `HTTP_401`: in the result line's `error.code`. */
  readonly code: string;
  /** Marks a ferry error for {@link isFerryError}, whichever copy of ferry made it. */
  readonly [BRAND] = true;

  constructor(message: string, defaultCode: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? defaultCode;
  }
}

/** Whether a value is a ferry error, made by this copy of ferry or any other. */
export function isFerryError(value: unknown): value is FerryError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Whether a value is a ferry error of this kind. */
export function isErrorKind(value: unknown, kind: ErrorKind): value is FerryError {
  return isFerryError(value) && value.kind === kind;
}

/** Bad flags, environment or env file: nothing ran. Exit 64. */
export class ConfigError extends FerryError {
  /** `ConfigError`, also in stacks and logs. */
  override readonly name: string = 'ConfigError';
  readonly kind = 'config';
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'CONFIG_INVALID', options);
  }
}

/** Retrying will not help: bad data, rejected credentials, a 4xx. Exit 65. */
export class PermanentError extends FerryError {
  /** `PermanentError`, also in stacks and logs. */
  override readonly name: string = 'PermanentError';
  readonly kind = 'permanent';
  readonly retryable = false;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'PERMANENT', options);
  }
}

/** Try again later: network, timeout, 5xx after retries, the lock is held. Exit 75. */
export class RetryableError extends FerryError {
  /** `RetryableError`, also in stacks and logs. */
  override readonly name: string = 'RetryableError';
  readonly kind = 'retryable';
  readonly retryable = true;
  constructor(message: string, options?: FerryErrorOptions) {
    super(message, 'RETRYABLE', options);
  }
}

/** The run was stopped by a signal or an aborted `ctx.signal`. Exit 130. */
export class CancelledError extends FerryError {
  /** `CancelledError`, also in stacks and logs. */
  override readonly name: string = 'CancelledError';
  readonly kind = 'cancelled';
  // Running again would work, but a person or a host asked to stop: no automatic retry.
  readonly retryable = false;
  constructor(message = 'cancelled', options?: FerryErrorOptions) {
    super(message, 'CANCELLED', options);
  }
}
