import { Readable, pipeline } from 'node:stream';
import { CancelledError, FerryError, PermanentError } from '../../errors/errors.ts';

/** Options every file reader takes. */
export interface ReadOptions {
  /** Stops the read: the reader throws a CancelledError at its next record. */
  signal?: AbortSignal;
}

/**
 * Opens a file as a byte stream, gunzipped when the name ends in `.gz`. The stream fails only
 * with ferry errors (FILE_NOT_FOUND, FILE_UNREADABLE, CancelledError), so readers need not
 * know about errno or zlib codes.
 */
export async function openStream(file: string, options: ReadOptions = {}): Promise<Readable> {
  throwIfCancelled(options.signal);
  // Loaded on first read: node:fs/promises and node:zlib cost milliseconds at every start-up,
  // `--help` included.
  const { open } = process.getBuiltinModule('node:fs/promises');
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw fileError(file, error);
  });
  const bytes = handle.createReadStream();
  const source = isGzip(file) ? pipeline(bytes, process.getBuiltinModule('node:zlib').createGunzip(), noop) : bytes;
  const stream = Readable.from(guard(file, source, options.signal), { objectMode: false });
  stream.once('close', () => source.destroy()); // a reader that stops early closes the file
  return stream;
}

export function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith('.gz');
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof CancelledError ? signal.reason : new CancelledError();
}

async function* guard(file: string, source: Readable, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      throwIfCancelled(signal);
      yield chunk as Buffer;
    }
  } catch (error) {
    throw fileError(file, error);
  }
}

/** Turns an errno or zlib failure into an error that says what to fix; others pass through. */
export function fileError(file: string, error: unknown): unknown {
  if (error instanceof FerryError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT') {
    return new PermanentError(`${file} does not exist: check the path (a relative path starts at ${process.cwd()})`, { code: 'FILE_NOT_FOUND', cause: error });
  }
  if (code === 'EISDIR') {
    return new PermanentError(`${file} is a directory: pass the path of a file inside it`, { code: 'FILE_UNREADABLE', cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermanentError(`${file} cannot be read (permission denied): give the job's user read access`, { code: 'FILE_UNREADABLE', cause: error });
  }
  if (code.startsWith('Z_')) {
    return new PermanentError(`${file} is not a readable gzip file (${error.message}): check that the copy is complete, or rename it without .gz if it is not compressed`, { code: 'FILE_UNREADABLE', cause: error });
  }
  return error;
}

function noop(): void {}
