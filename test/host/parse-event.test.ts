import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { parseEvent } from 'ferry/host';

const result =
  '{"v":1,"ts":"2026-11-23T10:00:00.000Z","type":"result","job":"j","runId":"r","status":"succeeded","exitCode":0,"dryRun":false,"counts":{"read":0,"inserted":0,"updated":0,"unchanged":0,"deleted":0,"rejected":0},"durationMs":1}';
const cases: [string, string, 'event' | 'text'][] = [
  ['an event', result, 'event'],
  ['an event with CRLF', `${result}\r`, 'event'],
  ['a crash dump', 'Segmentation fault (core dumped)', 'text'],
  ['JSON that is not an event', '{"hello":"world"}', 'text'],
  ['an event of an unknown version', result.replace('"v":1', '"v":2'), 'text'],
  ['broken JSON', '{"v":1,"type":"log"', 'text'],
  ['an empty line', '', 'text'],
];
for (const [name, line, kind] of cases) {
  it(`${name} → ${kind}`, () => {
    const parsed = parseEvent(line);
    assert.equal(parsed.kind, kind);
    if (parsed.kind === 'text') assert.equal(parsed.line, line.replace(/\r$/, ''));
  });
}

it('every event type of the protocol schema parses as an event', () => {
  const schema = readFileSync(new URL('../../docs/protocol.schema.json', import.meta.url), 'utf8');
  const types = [...schema.matchAll(/"type": \{ "const": "(\w+)" \}/g)].map((m) => m[1]);
  assert.ok(types.includes('schema') && types.includes('result'), `types found: ${types.join(', ')}`);
  for (const type of types) {
    const line = JSON.stringify({ v: 1, ts: '2026-12-02T10:00:00.000Z', type });
    assert.equal(parseEvent(line).kind, 'event', type);
  }
});
