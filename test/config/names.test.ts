import assert from 'node:assert/strict';
import { it } from 'node:test';
import { envName, flagName } from '../../src/config/names.ts';

const cases: [string, string, string][] = [
  ['apiKey', '--api-key', 'API_KEY'],
  ['dbPath', '--db-path', 'DB_PATH'],
  ['maxHTTPRetries', '--max-http-retries', 'MAX_HTTP_RETRIES'],
  ['page2Size', '--page2-size', 'PAGE2_SIZE'],
  ['url', '--url', 'URL'],
];
for (const [key, flag, env] of cases) {
  it(`${key} → ${flag}, ${env}`, () => {
    assert.equal(flagName(key), flag);
    assert.equal(envName(key), env);
  });
}

it('a job prefix applies to every variable', () => {
  assert.equal(envName('apiKey', 'SHOP'), 'SHOP_API_KEY');
  assert.equal(envName('apiKey', 'SHOP_'), 'SHOP_API_KEY');
  assert.equal(envName('apiKey', 'SHOP', 'TOKEN'), 'SHOP_TOKEN');
});
