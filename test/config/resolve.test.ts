import assert from 'node:assert/strict';
import { it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.ts';
import type { ConfigSchema } from '../../src/config/options.ts';

const schema = { apiUrl: { type: 'url', description: 'the collection' } } as const satisfies ConfigSchema;
const resolve = (apiUrl: string) => resolveConfig(schema, { flags: { apiUrl }, env: {}, cwd: '/' });

it("a url option's query parameters named like a credential are secrets, as written and decoded", () => {
  const { secrets } = resolve('https://api.example.test/items?page=2&api_key=k%2Fey+1&sig=abc&since=2026-01-01');
  assert.deepEqual(secrets, ['k%2Fey+1', 'k/ey 1', 'abc']);
});

it('its user name or password still is one', () => {
  assert.deepEqual(resolve('https://bob:p%40ss@api.example.test/items').secrets, ['p%40ss', 'p@ss']);
});

it('a url refused as invalid is shown without the key in its query string', () => {
  assert.throws(
    () => resolve('ftp://api.example.test/items?token=S3CR3T-TOKEN'),
    (error: Error) => {
      assert.equal(
        error.message,
        'invalid value "ftp://api.example.test/items?token=[redacted]" for --api-url (or env API_URL): expected an absolute URL (http://, https://)',
      );
      return true;
    },
  );
});
