import type { Readable } from 'node:stream';

/** One line of a text file, without its line ending; `tooLong` when only its start was kept. */
export interface Line {
  text: string;
  tooLong?: true;
}

/** How much of an over-long line to keep, to show in a reject. */
const HEAD_BYTES = 1024;

/**
 * Splits a UTF-8 byte stream into lines at LF, dropping a CR before it, and yields them a
 * chunk's worth at a time. A line over `maxBytes` is not held: its first bytes come back marked
 * `tooLong` and the rest is skipped, so one missing line ending cannot fill the memory.
 */
export async function* readLines(stream: Readable, maxBytes: number): AsyncGenerator<Line[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let head: Buffer | undefined; // set while skipping the rest of an over-long line
  const finish = (): Line => {
    const line: Line = head
      ? { text: head.toString('utf8'), tooLong: true }
      : { text: textOf(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending)) };
    pending = [];
    pendingBytes = 0;
    head = undefined;
    return line;
  };
  const keep = (piece: Buffer): void => {
    if (head) return;
    if (pendingBytes + piece.length <= maxBytes) {
      pending.push(piece);
      pendingBytes += piece.length;
    } else {
      head = Buffer.concat([...pending, piece]).subarray(0, HEAD_BYTES);
      pending = [];
    }
  };
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    const lines: Line[] = [];
    let start = 0;
    for (let end = buffer.indexOf(LF); end !== -1; end = buffer.indexOf(LF, start)) {
      keep(buffer.subarray(start, end));
      lines.push(finish());
      start = end + 1;
    }
    if (start < buffer.length) keep(buffer.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0 || head) yield [finish()];
}

function textOf(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

const LF = 10;
const CR = 13;
