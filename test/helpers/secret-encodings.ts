/**
 * The ways a server or a log may write a secret, each computed with the encoder that writes it
 * (not with ferry's own list), to look for a leak in any output or table.
 */
export function encodingsOf(secret: string): Record<string, string> {
  const json = JSON.stringify(secret).slice(1, -1);
  const php = phpJson(secret);
  const bytes = Buffer.from(secret);
  return {
    'as given': secret,
    encodeURIComponent: encodeURIComponent(secret),
    'form-encoded': new URLSearchParams({ k: secret }).toString().slice(2),
    JSON: json,
    'PHP json_encode': php,
    'JSON inside JSON': JSON.stringify(json).slice(1, -1),
    'PHP json_encode inside JSON': JSON.stringify(php).slice(1, -1),
    HTML: secret
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&#39;'),
    base64: bytes.toString('base64'),
    base64url: bytes.toString('base64url'),
  };
}

/** The names of the encodings of `secret` that `text` contains. */
export function leaksOf(text: string, secret: string): string[] {
  return Object.entries(encodingsOf(secret))
    .filter(([, form]) => text.includes(form))
    .map(([name]) => name);
}

/** A string as PHP's json_encode writes it by default: `/` as `\/`, non-ASCII as `\u00e9`. */
export function phpJson(text: string): string {
  const json = JSON.stringify(text).slice(1, -1).replaceAll('/', '\\/');
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
