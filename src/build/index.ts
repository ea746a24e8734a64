export {
  buildJob,
  BUNDLE_NODE_MAJOR,
  makeExecutable,
  outputName,
  type BuildOptions,
  type BuildResult,
  type Built,
  type MakeOptions,
} from './build-job.ts';
export { bundleJob, type Bundle, type BundleOptions } from './bundle.ts';
export { sha256File, writeChecksumFile } from './checksum.ts';
export { defaultCacheDir, downloadNode } from './node-binary.ts';
export { checkNodeVersion } from './sea.ts';
export { hostTarget, isHost, parseTargets, TARGETS, type Target } from './targets.ts';
export { describeBuilt, describeBundle, nodeConditions } from './report.ts';
