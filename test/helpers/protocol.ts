import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import assert from 'node:assert/strict';
import type { FerryEvent } from 'ferry';
import schema from '../../docs/protocol.schema.json' with { type: 'json' };

// `format` stays in the schema for other validators; here the `pattern` next to it checks `ts`.
const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
const validate = ajv.compile(schema);
const EVENT_TYPES = ['start', 'log', 'progress', 'schema', 'result'];

/** Throws unless `value` is one valid event line (docs/protocol.schema.json). */
export function validateEvent(value: unknown, line: string = JSON.stringify(value)): void {
  if (validate(value)) return;
  throw new Error(`invalid ferry event: ${describe(value, validate.errors ?? [])}\n  line: ${line}`);
}

/** The result line of a finished job: the last event of its stdout (stderr shows when there is none). */
export function resultOf(finished: { stdout: string; stderr: string }) {
  const last = parseEventLines(finished.stdout).at(-1);
  assert.ok(last?.type === 'result', finished.stderr);
  return last;
}

/** Asserts a run failed with exit `code` and `errorCode`, its message matching; returns the result line. */
export function failsWith(
  finished: { code: number | null; stdout: string; stderr: string },
  code: number,
  errorCode: string,
  message: RegExp,
) {
  const last = resultOf(finished);
  assert.deepEqual([finished.code, last.error?.code], [code, errorCode], finished.stderr);
  assert.match(last.error?.message ?? '', message);
  return last;
}

/**
 * Parses a job's stdout: one valid event per line, exactly one result event, and it is the
 * last line; a start event, if any (none after a config error), is the first line.
 */
export function parseEventLines(stdout: string): FerryEvent[] {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const events = lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`stdout line ${i + 1} is not JSON (${(error as Error).message}): ${JSON.stringify(line)}`, {
        cause: error,
      });
    }
    try {
      validateEvent(value, line);
    } catch (error) {
      throw new Error(`stdout line ${i + 1}: ${(error as Error).message}`, { cause: error });
    }
    return value as FerryEvent;
  });

  const at = (type: FerryEvent['type']) => events.flatMap((e, i) => (e.type === type ? [i] : []));
  const results = at('result');
  if (results.length !== 1) throw new Error(`expected exactly one result event, got ${results.length} in:\n${stdout}`);
  const [resultAt = -1] = results;
  if (resultAt !== events.length - 1)
    throw new Error(`the result event is line ${resultAt + 1} of ${events.length}, not the last:\n${stdout}`);
  const result = events.at(-1) as Extract<FerryEvent, { type: 'result' }>;
  const starts = at('start');
  if (starts.length > 1) throw new Error(`expected at most one start event, got ${starts.length} in:\n${stdout}`);
  const [startAt] = starts;
  if (startAt !== undefined) {
    const start = events[0];
    if (startAt !== 0 || start?.type !== 'start')
      throw new Error(`the start event is line ${startAt + 1}, not the first:\n${stdout}`);
    if (start.runId !== result.runId)
      throw new Error(`start runId ${start.runId} differs from result runId ${result.runId}`);
  } else if (result.runId !== '' || events.length !== 1) {
    throw new Error(`no start event, but this is not a config failure (a lone result with runId ""):\n${stdout}`);
  }
  return events;
}

/** Ajv reports a failed oneOf once per branch: show only the branch that the event's `type` names. */
function describe(value: unknown, errors: ErrorObject[]): string {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !EVENT_TYPES.includes(type))
    return `/type is ${JSON.stringify(type)}, not one of ${EVENT_TYPES.join(', ')}`;
  const branch = ajv.getSchema(`ferry-protocol-v1#/$defs/${type}`);
  const own = branch && !branch(value) ? (branch.errors ?? []) : [];
  return (own.length > 0 ? own : errors).map(formatError).join('; ');
}

function formatError(e: ErrorObject): string {
  const p = e.params as { additionalProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
  const detail =
    p.additionalProperty ??
    (p.allowedValues ?? (p.allowedValue === undefined ? undefined : [p.allowedValue]))
      ?.map((x) => JSON.stringify(x))
      .join(', ');
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}${detail === undefined ? '' : `: ${detail}`}`;
}
