import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextLink, parseLinkHeader } from '../../../src/sources/http/link-header.ts';

const BASE = 'https://api.example.com/v1/items?page=1';

describe('nextLink', () => {
  const cases: [string, string | null, string | undefined][] = [
    ['quoted rel', '<https://api.example.com/v1/items?page=2>; rel="next"', 'https://api.example.com/v1/items?page=2'],
    ['bare rel', '<https://a.test/x?page=2>; rel=next', 'https://a.test/x?page=2'],
    ['relative path', '</v1/items?page=2>; rel="next"', 'https://api.example.com/v1/items?page=2'],
    ['relative to the page', '<items?page=2>; rel="next"', 'https://api.example.com/v1/items?page=2'],
    ['query only', '<?page=2>; rel="next"', 'https://api.example.com/v1/items?page=2'],
    [
      'among several links',
      '<https://a.test/?p=1>; rel="first", <https://a.test/?p=3>; rel="next", <https://a.test/?p=9>; rel="last"',
      'https://a.test/?p=3',
    ],
    ['several rel values', '<https://a.test/?p=2>; rel="next last"', 'https://a.test/?p=2'],
    ['rel not first, case-insensitive', '<https://a.test/?p=2>; title="go"; REL="Next"', 'https://a.test/?p=2'],
    [
      'comma and semicolon inside a quoted param',
      '<https://a.test/?p=1>; title="a, b; c"; rel="prev", <https://a.test/?p=2>; rel="next"',
      'https://a.test/?p=2',
    ],
    ['comma inside the URL', '<https://a.test/?ids=1,2>; rel="next"', 'https://a.test/?ids=1,2'],
    [
      'escaped quote',
      '<https://a.test/?p=1>; title="say \\"hi\\", ok"; rel=prev, <https://a.test/?p=2>; rel=next',
      'https://a.test/?p=2',
    ],
    [
      'two headers joined by fetch',
      '<https://a.test/?p=1>; rel="prev", <https://a.test/?p=2>; rel="next"',
      'https://a.test/?p=2',
    ],
    ['whitespace everywhere', '  < https://a.test/?p=2 >  ;  rel = "next"  ', 'https://a.test/?p=2'],
    ['first rel param counts', '<https://a.test/?p=2>; rel="prev"; rel="next"', undefined],
    ['no next', '<https://a.test/?p=1>; rel="prev"', undefined],
    ['relation "nextpage" is not next', '<https://a.test/?p=2>; rel="nextpage"', undefined],
    ['no header', null, undefined],
    ['empty header', '', undefined],
    ['garbage', 'rel=next; <<>', undefined],
    ['unterminated target', '<https://a.test/?p=2; rel="next"', undefined],
  ];
  for (const [name, header, expected] of cases) {
    it(name, () => assert.equal(nextLink(header, BASE)?.href, expected));
  }
});

it('parseLinkHeader keeps every link with its params', () => {
  assert.deepEqual(parseLinkHeader('<a>; rel="next prev"; title="x, y", <b>; rel=last; type=text/html'), [
    { target: 'a', rel: ['next', 'prev'], params: { rel: 'next prev', title: 'x, y' } },
    { target: 'b', rel: ['last'], params: { rel: 'last', type: 'text/html' } },
  ]);
});
