import { PermanentError } from './errors.ts';

/**
 * A run-level guard tripped (--max-rejects, --min-records): the source looks broken, so the run
 * fails with 65 and keeps nothing of what it wrote.
 */
export class GuardError extends PermanentError {
  override readonly name: string = 'GuardError';
}
