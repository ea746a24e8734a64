import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from 'ferry';
import {
  checkNodeVersion,
  defaultCacheDir,
  hostTarget,
  nodeConditions,
  outputName,
  parseTargets,
  TARGETS,
} from '../../src/build/index.ts';

const target = (id: string) => TARGETS.find((t) => t.id === id) ?? assert.fail(`no target ${id}`);

describe('targets', () => {
  it('parses --target lists: comma-separated, repeated, deduplicated, in order', () => {
    const cases: [string[], string[]][] = [
      [['linux-x64'], ['linux-x64']],
      [['win-x64,linux-arm64'], ['win-x64', 'linux-arm64']],
      [
        ['darwin-arm64', 'darwin-x64, linux-x64'],
        ['darwin-arm64', 'darwin-x64', 'linux-x64'],
      ],
      [['linux-x64,linux-x64'], ['linux-x64']],
    ];
    for (const [values, ids] of cases)
      assert.deepEqual(
        parseTargets(values).map((t) => t.id),
        ids,
        values.join(' '),
      );
  });

  it('an unknown target is a ConfigError that lists the known ones', () => {
    for (const values of [['linux-x86'], ['win-x64,macos'], [''], [',']]) {
      assert.throws(
        () => parseTargets(values),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /linux-x64, linux-arm64, win-x64, darwin-x64, darwin-arm64/);
          return true;
        },
      );
    }
    assert.throws(() => parseTargets(['linux-x86']), /unknown target "linux-x86" in --target/);
  });

  it("knows this machine, by Node's names for it", () => {
    const cases: [string, string, string][] = [
      ['linux', 'x64', 'linux-x64'],
      ['linux', 'arm64', 'linux-arm64'],
      ['win32', 'x64', 'win-x64'],
      ['darwin', 'arm64', 'darwin-arm64'],
    ];
    for (const [platform, arch, id] of cases) assert.equal(hostTarget(platform, arch).id, id);
    assert.throws(() => hostTarget('linux', 'ppc64'), ConfigError);
  });

  it("names outputs plainly, per target, or as Tauri's externalBin expects", () => {
    const cases: [string, { tauri: boolean; suffixed: boolean }, string][] = [
      ['linux-x64', { tauri: false, suffixed: false }, 'job'],
      ['win-x64', { tauri: false, suffixed: false }, 'job.exe'],
      ['linux-arm64', { tauri: false, suffixed: true }, 'job-linux-arm64'],
      ['win-x64', { tauri: false, suffixed: true }, 'job-win-x64.exe'],
      ['linux-x64', { tauri: true, suffixed: false }, 'job-x86_64-unknown-linux-gnu'],
      ['linux-arm64', { tauri: true, suffixed: true }, 'job-aarch64-unknown-linux-gnu'],
      ['win-x64', { tauri: true, suffixed: true }, 'job-x86_64-pc-windows-msvc.exe'],
      ['darwin-x64', { tauri: true, suffixed: true }, 'job-x86_64-apple-darwin'],
      ['darwin-arm64', { tauri: true, suffixed: true }, 'job-aarch64-apple-darwin'],
    ];
    for (const [id, how, name] of cases)
      assert.equal(outputName('job', target(id), how), name, `${id} ${JSON.stringify(how)}`);
  });
});

describe('the Node that builds', () => {
  it('must be >= 25.7: older ones get a message that says what to do', () => {
    for (const ok of ['25.7.0', '25.10.1', '26.10.0', '30.0.0']) checkNodeVersion(ok);
    for (const old of ['24.11.0', '25.4.0', '25.6.1', '22.0.0']) {
      assert.throws(
        () => checkNodeVersion(old),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.code, 'NODE_TOO_OLD');
          assert.match(
            error.message,
            new RegExp(
              `needs Node >= 25\\.7 .*this is Node ${old.replaceAll('.', '\\.')}\\. .*npx -p node@26 ferry build`,
            ),
          );
          return true;
        },
      );
    }
  });

  it('bundles with the export conditions it was started with', () => {
    const cases: [string[], string, string[]][] = [
      [[], '', []],
      [['--conditions=source'], '', ['source']],
      [['-C', 'source', '--conditions', 'edge'], '', ['source', 'edge']],
      [['--no-warnings'], '--conditions=source  -C=dev', ['source', 'dev']],
    ];
    for (const [execArgv, nodeOptions, conditions] of cases)
      assert.deepEqual(nodeConditions(execArgv, nodeOptions), conditions);
  });

  it("keeps downloads in FERRY_CACHE_DIR, else the platform's cache directory", () => {
    assert.equal(defaultCacheDir({ FERRY_CACHE_DIR: '/x/cache' }, 'linux'), '/x/cache');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux'), path.join('/xdg', 'ferry'));
    assert.equal(
      defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32'),
      path.join('C:\\Users\\a\\AppData\\Local', 'ferry', 'Cache'),
    );
    assert.match(defaultCacheDir({}, 'darwin'), /Library[/\\]Caches[/\\]ferry$/);
  });
});
