export interface Body {
  bytes: Buffer;
  /** False when the body went past the limit: `bytes` holds at most its first EXCERPT_BYTES, the rest was never read. */
  complete: boolean;
}

/** Enough of a body for an error message's excerpt. */
export const EXCERPT_BYTES = 64 * 1024;

/**
 * A response body's bytes, counted as they arrive. Past `maxBytes` the stream is cancelled, which
 * aborts the request: a huge or endless body costs no more memory than the limit.
 */
export async function readBody(response: Response, maxBytes: number): Promise<Body> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    chunks.push(chunk);
    size += chunk.byteLength;
    // Leaving the loop cancels the stream; concat copies no more than the length it is given.
    if (size > maxBytes) return { bytes: Buffer.concat(chunks, Math.min(maxBytes, EXCERPT_BYTES)), complete: false };
  }
  return { bytes: Buffer.concat(chunks, size), complete: true };
}
