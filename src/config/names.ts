/** `apiKey` → `api-key`; `maxHTTPRetries` → `max-http-retries`. */
export function kebabCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/** `apiKey` → `API_KEY`, with an optional job prefix: `SHOP_API_KEY`. */
export function envName(key: string, prefix = '', override?: string): string {
  const base = override ?? kebabCase(key).replace(/-/g, '_').toUpperCase();
  return prefix ? `${prefix.replace(/_+$/, '')}_${base}` : base;
}

export function flagName(key: string): string {
  return `--${kebabCase(key)}`;
}
