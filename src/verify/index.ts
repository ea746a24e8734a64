/**
 * `ferry/testing`: prove a job retry-safe from a test runner ({@link verifyJob}), and compare
 * databases table by table.
 * @module ferry/testing
 */
export { verifyJob, type VerifyOptions, type VerifyReport, type Check } from './verify.ts';
export {
  snapshotSqlite,
  snapshotPostgres,
  compareSnapshots,
  describeDifferences,
  type Snapshot,
  type TableDifference,
} from './snapshot.ts';
