import { CancelledError, ConfigError, PermanentError, RetryableError } from './errors.ts';

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

/** The one place that maps a thrown value to an exit code. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof ConfigError) return ExitCode.usage;
  if (error instanceof PermanentError) return ExitCode.permanent;
  if (error instanceof RetryableError) return ExitCode.retryable;
  if (error instanceof CancelledError) return ExitCode.cancelled;
  return ExitCode.bug;
}

export function summarizeError(error: unknown): ErrorSummary {
  const code = exitCodeFor(error) === ExitCode.bug ? 'UNEXPECTED' : (error as { code: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const retryable = error instanceof RetryableError;
  return { code, message, retryable };
}
