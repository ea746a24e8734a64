// `ferry build` (and run, verify) as a user runs it: flags checked before any work, usage errors exit 64.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, run } from '../helpers/spawn.ts';

const BIN = path.join(ROOT, 'src/tool/bin.ts');
const JOB = path.join(ROOT, 'examples/file-import/file-import.ts');
const ferry = (args: string[], cwd?: string) =>
  run(process.execPath, ['--conditions=source', BIN, ...args], { ...(cwd ? { cwd } : {}), timeoutMs: 60_000 });

describe('ferry build: bad flags exit 64 before any work', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown target',
      ['--target', 'linux-x86'],
      /unknown target "linux-x86" in --target: use one or more of linux-x64, linux-arm64, win-x64, darwin-x64, darwin-arm64/,
    ],
    ['an empty target list', ['--target', ','], /--target is empty/],
    ['a name with a directory in it', ['--name', '../evil'], /--name "\.\.\/evil": use letters, digits/],
    [
      '--node-binary with two targets',
      ['--node-binary', process.execPath, '--target', 'linux-x64,win-x64'],
      /--node-binary is one binary for one target/,
    ],
    [
      '--node-binary that does not exist',
      ['--node-binary', '/nonexistent/node'],
      /--node-binary \/nonexistent\/node: no such file/,
    ],
    ['an unknown flag', ['--frobnicate'], /unknown option '--frobnicate'/],
    [
      'two jobs without --name',
      [path.join(ROOT, 'examples/rest-import/rest-import.ts')],
      /2 job modules make one executable: name it with --name/,
    ],
    ['two jobs of one file name', [JOB, '--name', 'x'], /would both be run as "file-import": rename one of the files/],
    [
      'a job module without a default export among several',
      [path.join(ROOT, 'bench/fixtures/noop-job.ts'), '--name', 'x'],
      /noop-job\.ts has no default export/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const out = await mkdtemp(path.join(tmpdir(), 'ferry-build-cli-'));
      const { code, stdout, stderr } = await ferry(['build', JOB, '--out', out, ...args]);
      assert.equal(code, 64, stderr);
      assert.match(stderr, message);
      assert.equal(stdout, '');
      assert.deepEqual(await readdir(out), [], 'nothing written');
    });
  }

  it('a job module that does not exist', async () => {
    const { code, stderr } = await ferry(['build', 'jobs/nope.ts']);
    assert.equal(code, 64);
    assert.match(
      stderr,
      /^ferry build: the job module .*jobs\/nope\.ts does not exist: pass the path of a module whose default export is a job\n$/,
    );
  });

  it('--help lists the options; exit 0', async () => {
    const { code, stdout } = await ferry(['build', '--help']);
    assert.equal(code, 0);
    for (const option of [
      '--target <targets>',
      '--out <dir>',
      '--name <name>',
      '--tauri',
      '--node-binary <path>',
      '--no-strip',
      '--no-code-cache',
    ])
      assert.ok(stdout.includes(option), option);
  });
});

describe('ferry run and ferry verify: usage errors exit 64 too', () => {
  it('ferry run: a job module that does not exist exits 64 in one line; --help prints its usage', async () => {
    const missing = await ferry(['run', 'jobs/nope.ts']);
    assert.deepEqual([missing.code, missing.stderr], [64, 'ferry: no job module at jobs/nope.ts\n']);
    const help = await ferry(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: ferry run <job> \[args\.\.\.\]/);
  });

  it('ferry verify: usage errors exit 64', async () => {
    for (const args of [['verify'], ['verify', '--frobnicate', JOB]]) {
      const { code, stderr } = await ferry(args);
      assert.equal(code, 64, stderr);
      assert.match(stderr, /^error: /);
    }
  });

  it('ferry run still runs a job module with its own flags', async () => {
    const { code, stdout } = await ferry(['run', JOB, '--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^file-import 1\.0\.0 \(ferry /);
  });
});

describe('ferry build: a TMPDIR it cannot use', () => {
  it('exits 64 naming TMPDIR (it was an unexpected error, exit 1, with a stack)', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'ferry-build-tmpdir-'));
    const finished = await run(process.execPath, ['--conditions=source', BIN, 'build', JOB, '--bundle', '--out', out], {
      env: { TMPDIR: path.join(out, 'missing') },
      timeoutMs: 60_000,
    });
    assert.equal(finished.code, 64, finished.stderr);
    assert.match(
      finished.stderr,
      /ferry build: .*missing \(TMPDIR\) cannot hold one \(ENOENT\): set TMPDIR to a folder/,
    );
    assert.doesNotMatch(finished.stderr, /unexpected error|\n\s+at /);
    assert.deepEqual(await readdir(out), []);
  });
});

describe('ferry init: the line it prints to go on', () => {
  it('can be pasted into a shell when the folder has a space or a quote (it printed cd my import)', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'ferry-init-name-'));
    const init = await ferry(['init', "Bob's import", '--template', 'blank'], parent);
    assert.equal(init.code, 0, init.stderr);
    const cd = /^next: (cd .*?) && npm install/m.exec(init.stdout)?.[1];
    assert.equal(cd, "cd 'Bob'\\''s import'");
    const pasted = await run('/bin/sh', ['-c', `${cd} && pwd`], { cwd: parent });
    assert.equal(pasted.stdout.trim(), path.join(parent, "Bob's import"), pasted.stderr);
  });
});

describe('ferry build --out and ferry init <dir>: a folder that cannot be made', () => {
  const tool = (args: string[], cwd: string) =>
    run(process.execPath, ['--conditions=source', BIN, ...args], { cwd, timeoutMs: 20_000 });
  const cases: [string, (dir: string) => Promise<string>, RegExp][] = [
    [
      'a broken symbolic link',
      async (dir) => (await symlink(path.join(dir, 'unmounted'), path.join(dir, 'out')), 'out'),
      /a file \(or a broken symbolic link\) has that name/,
    ],
    [
      'a path through a file',
      async (dir) => (await writeFile(path.join(dir, 'f'), ''), 'f/out'),
      /a file stands where/,
    ],
    ['under /proc, where Node retried for ever', async () => '/proc/ferry-test/out', /cannot hold one/],
  ];
  for (const [name, made, message] of cases) {
    it(`${name}: 64 saying so (was 1 with a stack; under /proc a hang at full CPU)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ferry-out-'));
      const target = await made(dir);
      for (const args of [
        ['build', path.join(ROOT, 'examples/hello/hello.ts'), '--bundle', '--out', target],
        ['init', target, '--template', 'blank'],
      ]) {
        const finished = await tool(args, dir);
        assert.equal(finished.code, 64, `ferry ${args[0]}: ${finished.stderr}`);
        // init looks into the folder first, and says a file is in the way itself (64 already)
        const said =
          args[0] === 'init' && name === 'a path through a file'
            ? /is a file, not a folder/
            : new RegExp(`^ferry ${args[0]}: cannot create \\S*${target}, .*${message.source}`, 'm');
        assert.match(finished.stderr, said);
        assert.doesNotMatch(finished.stderr, /\n\s+at /);
      }
    });
  }
});
