import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `<file>.sha256` in the format `sha256sum -c` reads (run where the file is). */
export async function writeChecksumFile(file: string, sha256: string): Promise<string> {
  const checksumFile = `${file}.sha256`;
  await writeFile(checksumFile, `${sha256}  ${path.basename(file)}\n`);
  return checksumFile;
}
