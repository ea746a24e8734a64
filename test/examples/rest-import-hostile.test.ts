// rest-import against servers that are hostile or broken: each ends at once with its exit code and
// a message that says what to check, never a hang, an exit 1 or endless retries.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startFaultServer, type Fault, type LoggedRequest } from '../helpers/fault-server.ts';
import { runExample } from '../helpers/example-job.ts';
import { parseEventLines } from '../helpers/protocol.ts';

interface Case {
  name: string;
  /** What the server answers to each request. */
  fault: (request: LoggedRequest) => Fault;
  args?: string[];
  env?: Record<string, string>;
  code: string;
  /** Matched against the error line the job prints on stderr. */
  message: RegExp;
  /** At most this many requests before the job gives up. */
  requests: number;
}

const emptyPageLinkingOn = (request: LoggedRequest): Fault => {
  const page = Number(request.query.page ?? 1);
  return { kind: 'status', status: 200, body: '[]', headers: { link: `<?page=${page + 1}>; rel="next"` } };
};

const CASES: Case[] = [
  {
    name: 'empty pages forever, each with a Link next',
    fault: emptyPageLinkingOn,
    code: 'HTTP_EMPTY_PAGES',
    message: /\?page=11: 11 pages in a row had no records, yet each pointed to a next page, so the import would never end; check/,
    requests: 11,
  },
];

describe('rest-import against a hostile or broken server: exit 65 at once, with what to check', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await using server = await startFaultServer({ faults: c.fault });
      const db = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-rest-hostile-')), 'rest.db');
      const args = ['--api-url', server.url, '--db-path', db, '--log-format', 'json', ...(c.args ?? [])];
      const finished = await runExample('rest-import', args, { timeoutMs: 60_000, ...(c.env ? { env: c.env } : {}) });
      const result = parseEventLines(finished.stdout).at(-1);
      assert.ok(result?.type === 'result', finished.stderr);
      assert.deepEqual([finished.code, result.error?.code, result.counts.inserted], [65, c.code, 0], finished.stderr);
      assert.match(finished.stderr, c.message);
      assert.ok(server.requests.length <= c.requests, `${server.requests.length} requests`);
    });
  }
});
