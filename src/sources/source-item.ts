/** Where a record came from, for error messages and the rejects table. */
export interface Position {
  /** A file path or a URL (credentials are redacted on output like everything else). */
  source: string;
  /** 1-based physical line where the record starts (CSV, NDJSON). */
  line?: number;
  /** 1-based data record number, header excluded (CSV), or 1-based index (NDJSON, JSON array). */
  row?: number;
  /** 1-based page number (HTTP). */
  page?: number;
  /** 0-based index of the record within its page (HTTP). */
  index?: number;
}

/** What a source yields: a record, or a piece of input that could not be read as one. */
export type SourceItem<T = Record<string, unknown>> =
  | { ok: true; record: T; position: Position }
  | { ok: false; raw: unknown; reason: string; position: Position };

export function describePosition(p: Position): string {
  const parts = [p.source];
  if (p.page !== undefined) parts.push(`page ${p.page}`);
  if (p.index !== undefined) parts.push(`record ${p.index + 1}`);
  if (p.row !== undefined) parts.push(`row ${p.row}`);
  if (p.line !== undefined) parts.push(`line ${p.line}`);
  return parts.join(', ');
}
