import { isFerryError, type ErrorKind } from './errors.ts';

/** The exit codes and their fixed meanings (sysexits.h where one fits). */
export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 64,
  permanent: 65,
  retryable: 75,
  cancelled: 130,
  /** `<job> check` only: the history says the import is not healthy (sysexits' EX_UNAVAILABLE). */
  unhealthy: 69,
} as const;
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
