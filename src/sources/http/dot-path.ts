/**
 * The value at a dot path such as `meta.next_cursor` (own properties only), or undefined. A key
 * with dots in it (OData's `@odata.nextLink`) is found too: the longest key that matches wins.
 */
export function getPath(value: unknown, path: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Object.hasOwn(value, path)) return (value as Record<string, unknown>)[path];
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const key = path.slice(0, dot);
    if (Object.hasOwn(value, key)) {
      const found = getPath((value as Record<string, unknown>)[key], path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
