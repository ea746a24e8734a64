import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { extractFromTgz } from '../../src/build/tgz.ts';

describe('extractFromTgz: one file out of an npm tarball', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-tgz-'));
  const tree = path.join(dir, 'tree');
  const long = `deep/${'a'.repeat(90)}/${'b'.repeat(60)}/node`; // > 100 bytes: a GNU long name or a pax path
  const files: Record<string, Buffer> = {
    'package/package.json': Buffer.from('{"name":"x"}'),
    'package/bin/node': randomBytes(3 * 65536 + 123), // spans many gunzip chunks, ends mid-block
    'package/bin/empty': Buffer.alloc(0),
    [`package/${long}`]: randomBytes(1000),
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(tree, name)), { recursive: true });
    await writeFile(path.join(tree, name), content);
  }

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`reads ${format} archives, long names included`, async (t) => {
      const tgz = path.join(dir, `${format}.tgz`);
      const members = Object.keys(files).filter((name) => format !== 'ustar' || name.length <= 255);
      try {
        execFileSync('tar', [`--format=${format}`, '-czf', tgz, '-C', tree, ...members]);
      } catch {
        t.skip('GNU tar is not installed');
        return;
      }
      for (const member of members) {
        const out = path.join(dir, `${format}-out`);
        assert.equal(await extractFromTgz(tgz, member, out), true, member);
        assert.deepEqual(await readFile(out), files[member], member);
        assert.equal((await stat(out)).mode & 0o111, 0o111, 'executable');
      }
      assert.equal(await extractFromTgz(tgz, 'package/bin/nope', path.join(dir, 'nope')), false);
    });
  }

  it('a cut-off download throws rather than saying the member is missing', async (t) => {
    const tgz = path.join(dir, 'whole.tgz');
    try {
      execFileSync('tar', ['-czf', tgz, '-C', tree, 'package/bin/node']);
    } catch {
      t.skip('tar is not installed');
      return;
    }
    const cut = path.join(dir, 'cut.tgz');
    await writeFile(cut, (await readFile(tgz)).subarray(0, 100_000));
    await assert.rejects(extractFromTgz(cut, 'package/bin/node', path.join(dir, 'cut-out')), /unexpected end of file/);
  });
});
