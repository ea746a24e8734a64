/**
 * `ferry/http`: a paginated JSON collection over HTTP as a ferry source.
 * Error codes are listed on {@link HttpErrorDetails}.
 * @module ferry/http
 */
export { httpSource, type HttpSource, type Page } from './http-source.ts';
export type { HttpSourceOptions, Keyset, Pagination, RetryInfo } from './options.ts';
export { compareCursorValues, cursorValueOf, type CursorValue } from './keyset.ts';
export type { HttpErrorDetails, HttpPermanentError, HttpRetryableError } from './http-errors.ts';
export { parseLinkHeader, type LinkValue } from './link-header.ts';
export { isSecretName } from '../../secrets/secret-name.ts';
