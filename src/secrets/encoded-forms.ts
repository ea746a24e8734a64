/**
 * Every common way a secret is written into text that ferry may print: as given, percent- and
 * form-encoded, JSON-escaped (also as PHP's json_encode does: `\/` and `\u00e9`), a JSON string
 * inside a JSON string, HTML-escaped, and base64. A server that echoes a key in an error body
 * uses one of these, so redacting only the plain value would print it in full.
 */
export function encodedForms(secret: string): string[] {
  const json = jsonForms(secret);
  return [
    ...new Set([
      secret,
      ...percentForms(secret),
      ...json,
      ...json.map(jsonEscape),
      ...htmlForms(secret),
      ...base64Forms(secret),
    ]),
  ];
}

function percentForms(secret: string): string[] {
  const form = new URLSearchParams([['', secret]]).toString().slice(1);
  if (!secret.isWellFormed()) return [form]; // encodeURIComponent throws on a lone surrogate
  const uri = encodeURIComponent(secret);
  return [uri, uri.replaceAll('%20', '+'), uri.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), form];
}

/** JSON.stringify's escaping, then with non-ASCII as `\uXXXX` (either case), each with and without `\/`. */
function jsonForms(secret: string): string[] {
  const plain = jsonEscape(secret);
  const ascii = (hex: (h: string) => string) =>
    plain.replace(/[\u0080-\uffff]/g, (c) => `\\u${hex(c.charCodeAt(0).toString(16).padStart(4, '0'))}`);
  return [plain, ascii((h) => h), ascii((h) => h.toUpperCase())].flatMap((form) => [form, form.replaceAll('/', '\\/')]);
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** `&`, `<`, `>` always; quotes as entities by name or number, or left alone (text content). */
function htmlForms(secret: string): string[] {
  const text = secret.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const quotes = [
    ['&quot;', '&#39;'],
    ['&quot;', '&#x27;'],
    ['&#34;', '&#39;'],
    ['"', "'"],
  ] as const;
  return quotes.map(([double, single]) => text.replaceAll('"', double).replaceAll("'", single));
}

/** Standard and URL-safe, padded or not. */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const standard = bytes.toString('base64');
  const urlSafe = bytes.toString('base64url');
  return [standard, standard.replace(/=+$/, ''), urlSafe, urlSafe.padEnd(standard.length, '=')];
}
