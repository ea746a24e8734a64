import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/**
 * Copies one file out of a .tgz (an npm package), streaming: the tarball is never unpacked
 * whole. Reads ustar headers, GNU long names and pax `path` records, which is what npm writes.
 * Returns false when the archive has no such member.
 */
export async function extractFromTgz(tgz: string, member: string, dest: string): Promise<boolean> {
  const reader = new ByteReader(createReadStream(tgz).pipe(createGunzip()));
  let nextName: string | undefined;
  for (;;) {
    const header = await reader.read(BLOCK);
    if (!header || header.every((b) => b === 0)) return false;
    const size = Number.parseInt(field(header, 124, 12) || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L' || type === 'x') {
      const data = (await reader.read(padded))?.subarray(0, size).toString('utf8') ?? '';
      nextName =
        type === 'L' ? data.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1] ?? nextName);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = nextName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    nextName = undefined;
    if (name !== member || (type !== '0' && type !== '\0')) {
      await reader.skip(padded);
      continue;
    }
    const out = await open(dest, 'w', 0o755);
    try {
      for await (const chunk of reader.take(size)) await out.write(chunk);
    } finally {
      await out.close();
    }
    return true;
  }
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw
    .subarray(0, end < 0 ? raw.length : end)
    .toString('utf8')
    .trim();
}

/** Exact-length reads over a stream of chunks. */
class ByteReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);

  constructor(stream: AsyncIterable<Buffer>) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  /** The next n bytes, or undefined at the end of the stream. */
  async read(n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    for await (const chunk of this.take(n)) parts.push(chunk);
    const data = Buffer.concat(parts);
    return data.length === n ? data : undefined;
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }

  /** Yields the next n bytes in pieces, as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0) {
        const next = await this.chunks.next();
        if (next.done) return;
        this.pending = next.value;
      }
      const piece = this.pending.subarray(0, left);
      this.pending = this.pending.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}
