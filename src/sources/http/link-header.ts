/** One link of an RFC 8288 `Link` header: its target as written, its relation types, its params. */
export interface LinkValue {
  /** The URL between `<` and `>`, as written (resolve it against the request's URL). */
  target: string;
  /** Its relation types, lower case, e.g. `['next']`. */
  rel: string[];
  /** Its other parameters, names lower case. */
  params: Record<string, string>;
}

/**
 * Parses a `Link` header leniently: several links (or several headers joined by ", "),
 * quoted or bare params, commas inside quotes or URLs, several relation types per `rel`.
 * Malformed parts are skipped rather than thrown on, since the header is only a hint.
 */
export function parseLinkHeader(header: string): LinkValue[] {
  const links: LinkValue[] = [];
  let at = 0;
  while (at < header.length) {
    const open = header.indexOf('<', at);
    const close = open === -1 ? -1 : header.indexOf('>', open);
    if (close === -1) break;
    const { params, end } = readParams(header, close + 1);
    const rel = (params.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    links.push({ target: header.slice(open + 1, close).trim(), rel, params });
    at = end;
  }
  return links;
}

/**
 * The absolute URL of the first `rel="next"` link, resolved against the page's URL. One marked
 * `results="false"` is none: Sentry keeps a next link on its last page and says so there.
 */
export function nextLink(header: string | null, base: URL | string): URL | undefined {
  if (header === null) return undefined;
  const link = parseLinkHeader(header).find(isNext);
  if (link === undefined) return undefined;
  try {
    return new URL(link.target, base);
  } catch {
    return undefined;
  }
}

/**
 * Whether a `Link` header pages the collection (a `prev`, `first` or `last` link) but has no
 * `next`: the server says this page is the last (GitHub, GitLab, WordPress).
 */
export function isLastByLink(header: string | null): boolean {
  if (header === null) return false;
  const links = parseLinkHeader(header);
  const rels = new Set(links.flatMap((l) => l.rel));
  return !links.some(isNext) && ['prev', 'previous', 'first', 'last'].some((rel) => rels.has(rel));
}

function isNext(link: LinkValue): boolean {
  return link.rel.includes('next') && link.params.results !== 'false';
}

function readParams(header: string, start: number): { params: Record<string, string>; end: number } {
  const params: Record<string, string> = {};
  let at = start;
  while (at < header.length) {
    const char = header[at];
    if (char === ',') return { params, end: at + 1 };
    if (char === '<') return { params, end: at };
    if (char !== ';') {
      at++;
      continue;
    }
    const param = readParam(header, at + 1);
    // RFC 8288 §3.3: only the first occurrence of a parameter counts.
    if (param.name !== '' && !Object.hasOwn(params, param.name)) params[param.name] = param.value;
    at = param.end;
  }
  return { params, end: at };
}

function readParam(header: string, start: number): { name: string; value: string; end: number } {
  const nameMatch = /^\s*([^\s=;,<]*)\s*/.exec(header.slice(start));
  const name = (nameMatch?.[1] ?? '').toLowerCase();
  let at = start + (nameMatch?.[0].length ?? 0);
  if (header[at] !== '=') return { name, value: '', end: at };
  at++;
  while (header[at] === ' ' || header[at] === '\t') at++;
  if (header[at] !== '"') {
    const token = /^[^;,\s]*/.exec(header.slice(at))?.[0] ?? '';
    return { name, value: token, end: at + token.length };
  }
  let value = '';
  for (at++; at < header.length && header[at] !== '"'; at++) {
    if (header[at] === '\\') at++;
    value += header[at] ?? '';
  }
  return { name, value, end: at + 1 };
}
