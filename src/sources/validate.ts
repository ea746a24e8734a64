import type { StandardSchemaV1 } from '@standard-schema/spec';

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs a Standard Schema (zod, valibot, arktype…) and turns its issues into one sentence. */
export async function validate<T>(schema: StandardSchemaV1<unknown, T>, value: unknown): Promise<Validated<T>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (!result.issues) return { ok: true, value: result.value };
  return { ok: false, reason: result.issues.map(describeIssue).join('; ') };
}

function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
