import assert from 'node:assert/strict';
import { it } from 'node:test';
import { XmlScanner, type XmlHandler } from '../../../src/sources/files/xml-scanner.ts';

/** Every event the scanner reports for `pieces`, text joined where it came in parts. */
function events(pieces: Iterable<string>): string[] {
  const out: string[] = [];
  const handler: XmlHandler = {
    wantsText: true,
    open: (name, attributes) => out.push(`open ${name}${attributes}`),
    close: (name) => out.push(`close ${name}`),
    text: (text) => {
      const last = out.at(-1);
      if (last?.startsWith('text ')) out[out.length - 1] = last + text;
      else out.push(`text ${text}`);
    },
  };
  const scanner = new XmlScanner(handler);
  for (const piece of pieces) scanner.write(piece);
  scanner.end();
  return out;
}

function* split(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

it('a part cut into pieces of any size reads as the whole: tokens with > and quotes inside', () => {
  const xml =
    '<?xml version="1.0"?><a x="1>2" y=\'"q>\'><!-- a > b -- > c --><b>t &amp; &lt;u&gt; v</b>' +
    '<![CDATA[<not> a ]] tag >]]><c z="&quot;>"/><?pi a > b?>tail&#x41;</a>';
  const whole = events([xml]);
  assert.deepEqual(whole, [
    'open a x="1>2" y=\'"q>\'',
    'open b',
    'text t & <u> v',
    'close b',
    'text <not> a ]] tag >',
    'open c z="&quot;>"',
    'close c',
    'text tailA',
    'close a',
  ]);
  for (let size = 1; size <= xml.length; size++) assert.deepEqual(events(split(xml, size)), whole, `pieces of ${size}`);
});

it('a 60 MB text, comment or attribute in 16 KB pieces is scanned once, not again with each piece', () => {
  const pieces = (head: string, body: string, tail: string) =>
    function* () {
      yield head;
      for (let n = 0; n < (60 * 1024 * 1024) / body.length; n++) yield body;
      yield tail;
    };
  const line = 'x'.repeat(1023);
  const cases: [string, () => Generator<string>][] = [
    ['a cell', pieces('<a><t>', `${line}x`.repeat(16), '</t></a>')],
    ['a comment with > in it', pieces('<a><!--', `${line}>`.repeat(16), '--></a>')],
    ['an attribute with > in it', pieces('<a><b v="', `${line}>`.repeat(16), '"/></a>')],
  ];
  for (const [what, document] of cases) {
    const started = performance.now();
    assert.ok(events(document()).length >= 2, what);
    // Scanned again with each piece, each took minutes; once, well under a second.
    const ms = performance.now() - started;
    assert.ok(ms < 20_000, `${what}: ${Math.round(ms)} ms`);
  }
});
