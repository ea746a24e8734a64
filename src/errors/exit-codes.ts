import { isFerryError, type ErrorKind } from './errors.ts';

/** The exit codes and their fixed meanings (sysexits.h where one fits). */
export const ExitCode = {
  /** The run succeeded. */
  ok: 0,
  /** A bug in ferry or the job (an unexpected exception): the stack is logged; report it. */
  bug: 1,
  /** Bad flags, environment or env file: nothing ran; fix the config (EX_USAGE). */
  usage: 64,
  /** Retrying will not help: bad data, rejected credentials, a 4xx (EX_DATAERR). */
  permanent: 65,
  /** Try again later: network, timeout, 5xx, the lock is held (EX_TEMPFAIL). */
  retryable: 75,
  /** Stopped by SIGINT or SIGTERM; the next run resumes from the checkpoint. */
  cancelled: 130,
  /** `<job> check` only: the history says the import is not healthy (sysexits' EX_UNAVAILABLE). */
  unhealthy: 69,
} as const;
/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorSummary {
  code: string;
  message: string;
  retryable: boolean;
}

const BY_KIND: Record<ErrorKind, ExitCode> = {
  config: ExitCode.usage,
  permanent: ExitCode.permanent,
  retryable: ExitCode.retryable,
  cancelled: ExitCode.cancelled,
};

/** The one place that maps a thrown value to an exit code: a ferry error by its kind, anything else is a bug. */
export function exitCodeFor(error: unknown): ExitCode {
  return isFerryError(error) ? (BY_KIND[error.kind] ?? ExitCode.bug) : ExitCode.bug;
}

export function summarizeError(error: unknown): ErrorSummary {
  const known = isFerryError(error) && exitCodeFor(error) !== ExitCode.bug;
  const message = error instanceof Error ? error.message : String(error);
  return { code: known ? error.code : 'UNEXPECTED', message, retryable: known && error.retryable };
}
