/** Where a record came from, for error messages and the rejects table. */
export interface Position {
  /** A file path or a URL (credentials are redacted on output like everything else). */
  source: string;
  /** 1-based physical line where the record starts (CSV, NDJSON). */
  line?: number;
  /**
   * 1-based data record number, header excluded (CSV), 1-based index (NDJSON, JSON array), or
   * the row's number as the spreadsheet shows it (XLSX: the header is usually row 1).
   */
  row?: number;
  /** The worksheet's name (XLSX). */
  sheet?: string;
  /** The cell a reject is about, e.g. `C5` (XLSX). */
  cell?: string;
  /** 1-based page number (HTTP). */
  page?: number;
  /** 0-based index of the record within its page (HTTP). */
  index?: number;
}

/** What a source yields: a record, or a piece of input that could not be read as one. */
export type SourceItem<T = Record<string, unknown>> =
  | {
      /** A record, to validate against the job's `schema` and then `write`. */
      ok: true;
      /** The record as the source read it (a CSV row as strings by header, a JSON object). */
      record: T;
      /** Where it came from. */
      position: Position;
    }
  | {
      /** Input that could not be read as a record (a ragged CSV row, a line that is not JSON). */
      ok: false;
      /** What was read, as it was, for `_ferry_rejects`. */
      raw: unknown;
      /** Why it is not a record. */
      reason: string;
      /** Where it came from. */
      position: Position;
    };

export function describePosition(p: Position): string {
  const parts = [p.source];
  if (p.page !== undefined) parts.push(`page ${p.page}`);
  if (p.index !== undefined) parts.push(`record ${p.index + 1}`);
  if (p.sheet !== undefined) parts.push(`sheet ${JSON.stringify(p.sheet)}`);
  if (p.row !== undefined) parts.push(`row ${p.row}`);
  if (p.cell !== undefined) parts.push(`cell ${p.cell}`);
  if (p.line !== undefined) parts.push(`line ${p.line}`);
  return parts.join(', ');
}
