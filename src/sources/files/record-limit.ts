/**
 * The longest record a reader holds by default. A longer one almost always means a broken file
 * (a quote never closed, a whole JSON document on one line), and holding it whole would break
 * the promise that memory stays flat however big the file.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** A size for a message: '64 MiB', '97.7 KiB', '500 bytes'. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${round(bytes / 1024 / 1024)} MiB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
