import { Readable, pipeline } from 'node:stream';
import { CancelledError, PermanentError, isErrorKind, isFerryError } from '../../errors/errors.ts';
import { checkEncoding, textDecoding, type TextDecoding, type TextEncoding } from './text-decoding.ts';
import { readablePath } from './spool.ts';
import { NotUtf8Error, lineAt } from './utf8-check.ts';

export type { TextEncoding } from './text-decoding.ts';

/** Options every file reader takes. */
export interface ReadOptions {
  /** Stops the read: the reader throws a CancelledError at its next record. */
  signal?: AbortSignal;
  /**
   * The file's text encoding. Default: UTF-8, or UTF-16 when the file starts with its
   * byte-order mark. Bytes that are not in the encoding end the read with a PermanentError.
   */
  encoding?: TextEncoding;
}

/**
 * Opens a file as a stream of UTF-8 bytes: gunzipped when the name ends in `.gz`, decoded from
 * `encoding`, checked when it is UTF-8 already. The stream fails only with ferry errors
 * (FILE_NOT_FOUND, FILE_UNREADABLE, FILE_NOT_UTF8, CancelledError…), so readers need not know
 * about errno or zlib codes. An unknown encoding is a ConfigError, before the file is opened.
 */
export async function openStream(file: string, options: ReadOptions = {}): Promise<Readable> {
  checkEncoding(options.encoding);
  throwIfCancelled(options.signal);
  const source = await openBytes(file, options.signal);
  const stream = Readable.from(guard(file, source, textDecoding(file, options.encoding), options.signal), {
    objectMode: false,
  });
  stream.once('close', () => source.destroy()); // a reader that stops early closes the file
  return stream;
}

/** The file's bytes, gunzipped when the name says so. */
async function openBytes(file: string, signal?: AbortSignal): Promise<Readable> {
  const path = await readablePath(file, signal).catch((error: unknown) => {
    throwIfCancelled(signal);
    throw fileError(file, error);
  });
  // Loaded on first read: node:fs/promises and node:zlib cost milliseconds at every start-up,
  // `--help` included.
  const { open } = process.getBuiltinModule('node:fs/promises');
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw fileError(file, error);
  });
  // Reads of 64 KiB: 1 MiB reads measured no faster and raised peak RSS.
  const bytes = handle.createReadStream({ highWaterMark: 1 << 16 });
  return isGzip(file) ? pipeline(bytes, process.getBuiltinModule('node:zlib').createGunzip(), noop) : bytes;
}

export function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith('.gz');
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw isErrorKind(signal.reason, 'cancelled') ? signal.reason : new CancelledError();
}

async function* guard(
  file: string,
  source: Readable,
  text: TextDecoding,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      throwIfCancelled(signal);
      const decoded = text.push(chunk as Buffer);
      if (decoded.length > 0) yield decoded;
    }
    const rest = text.end();
    if (rest.length > 0) yield rest;
  } catch (error) {
    throw error instanceof NotUtf8Error ? await withLine(error) : fileError(file, error);
  }
}

/** Names the line of the first bad byte; the check counted none, to keep every good read cheap. */
async function withLine(error: NotUtf8Error): Promise<NotUtf8Error> {
  let bytes: Readable | undefined;
  try {
    bytes = await openBytes(error.file);
    return error.at(await lineAt(bytes, error.bad.offset), isGzip(error.file));
  } catch {
    return error; // the file went away meanwhile: the offset still tells where
  } finally {
    bytes?.destroy();
  }
}

/** Turns an errno or zlib failure into an error that says what to fix; others pass through. */
export function fileError(file: string, error: unknown): unknown {
  if (isFerryError(error) || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT') {
    const message = `${file} does not exist: check the path (a relative path starts at ${process.cwd()})${stdinHint(file)}`;
    return new PermanentError(message, { code: 'FILE_NOT_FOUND', cause: error });
  }
  if (code === 'EISDIR') {
    return new PermanentError(`${file} is a directory: pass the path of a file inside it`, {
      code: 'FILE_UNREADABLE',
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermanentError(`${file} cannot be read (permission denied): give the job's user read access`, {
      code: 'FILE_UNREADABLE',
      cause: error,
    });
  }
  const unreachable = UNREACHABLE[code];
  if (unreachable !== undefined) {
    return new PermanentError(`${file} cannot be opened: ${unreachable} (${code}): check the path`, {
      code: 'FILE_UNREADABLE',
      cause: error,
    });
  }
  if (code.startsWith('Z_')) {
    return new PermanentError(
      `${file} is not a readable gzip file (${error.message}): check that the copy is complete, or rename it without .gz if it is not compressed`,
      { code: 'FILE_UNREADABLE', cause: error },
    );
  }
  return error;
}

/** Paths no read can follow, said for a user who typed or generated one. */
const UNREACHABLE: Partial<Record<string, string>> = {
  ELOOP: 'its symbolic links point at each other in a loop',
  ENOTDIR: 'a part of the path before the last is a file, not a folder',
  ENAMETOOLONG: 'the path, or a name in it, is longer than the system allows',
  ENXIO: 'it is a socket or a device with nothing behind it, not a file',
};

function noop(): void {}

/** `-` is standard input to many tools; here it is a file of that name, and a pipe is read as /dev/stdin. */
export function stdinHint(file: string): string {
  return /(^|[\\/])-$/.test(file) ? '; to read standard input, pass /dev/stdin (… | job --file /dev/stdin)' : '';
}
