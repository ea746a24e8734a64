import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors/errors.ts';
import { httpSource, type HttpSourceOptions } from '../../../src/sources/http/index.ts';

describe('bad options fail at once with ConfigError HTTP_BAD_OPTION', () => {
  const cases: [string, HttpSourceOptions, RegExp][] = [
    ['a relative URL', { url: '/items' }, /url is not an absolute URL: "\/items"/],
    [
      'credentials in a bad URL stay hidden',
      { url: 'https://me:hunter2@exa mple.com/' },
      /"https:\/\/\[redacted\]@exa mple\.com\/"/,
    ],
    ['not http', { url: 'ftp://example.com/items' }, /must be http or https, not ftp:/],
    [
      'page size 0',
      { url: 'https://a.test/', pagination: { type: 'page', pageParam: 'page', size: 0 } },
      /pagination\.size must be a number above 0, got 0/,
    ],
    [
      'offset limit NaN',
      { url: 'https://a.test/', pagination: { type: 'offset', offsetParam: 'o', limitParam: 'l', limit: Number.NaN } },
      /pagination\.limit/,
    ],
    ['timeoutMs 0', { url: 'https://a.test/', timeoutMs: 0 }, /timeoutMs must be a number above 0/],
    ['maxRetries -1', { url: 'https://a.test/', maxRetries: -1 }, /maxRetries must be a whole number >= 0, got -1/],
    ['backoff.baseMs 1.5', { url: 'https://a.test/', backoff: { baseMs: 1.5 } }, /backoff\.baseMs/],
    [
      'maxEmptyPages 1.5',
      { url: 'https://a.test/', maxEmptyPages: 1.5 },
      /maxEmptyPages must be a whole number >= 0, got 1\.5/,
    ],
    // A larger body could not become one string: the import would crash instead of failing.
    [
      'maxBodyBytes past the longest string',
      { url: 'https://a.test/', maxBodyBytes: 2 ** 29 },
      /maxBodyBytes must be a whole number from 1 to 536870888, got 536870912/,
    ],
    ['maxBodyBytes 0', { url: 'https://a.test/', maxBodyBytes: 0 }, /maxBodyBytes must be a whole number from 1 to/],
  ];
  for (const [name, options, message] of cases) {
    it(name, () => {
      assert.throws(
        () => httpSource(options),
        (error) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.code, 'HTTP_BAD_OPTION');
          assert.match(error.message, message);
          assert.ok(!error.message.includes('hunter2'));
          return true;
        },
      );
    });
  }
});
