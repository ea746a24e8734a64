import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretName } from '../../src/secrets/secret-name.ts';

describe('a header or query parameter named like a credential', () => {
  const secret = [
    'api_key',
    'apikey',
    'apiKey',
    'key',
    'token',
    'access_token',
    'accessToken',
    'secret',
    'client_secret',
    'password',
    'passwd',
    'pwd',
    'pass',
    'signature',
    'sig',
    'auth',
    'oauth',
    'Authorization',
    'Proxy-Authorization',
    'X-Api-Key',
    'X-Auth-Token',
    'Cookie',
    'X-CSRFToken',
    'X-Session-Id',
    'sessionid',
    'X-Amz-Signature',
    'X-Amz-Security-Token',
    'X-Hub-Signature-256',
    'Private-Token',
    'credentials',
  ];
  const plain = [
    'author',
    'authority',
    'keyword',
    'design',
    'signal',
    'page',
    'per_page',
    'since',
    'limit',
    'q',
    'X-Tenant',
    'Accept',
    'bypass',
    'X-Request-Id',
  ];
  for (const name of secret) it(`${name} is a secret`, () => assert.equal(isSecretName(name), true));
  for (const name of plain) it(`${name} is not`, () => assert.equal(isSecretName(name), false));
});
