import {
  createServer,
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 serving a generated collection, paginated in one of four
 * styles, with faults injected by request number or by any rule over the request.
 *
 * Styles (all send `X-Total-Count`, all honour `since` = updatedAt >= since, all order by (updatedAt, id),
 * unless `order` says newest first):
 * - link:   `?page=&per_page=`, body an array, `Link` with first/prev/next/last (next relative)
 * - page:   `?page=&per_page=`, body an array
 * - cursor: `?cursor=&limit=`,  body `{ data: [...], meta: { next_cursor } }` (keyset, stable under edits)
 * - offset: `?offset=&limit=`,  body `{ results: [...], count }`
 */
export interface TestRecord {
  id: number;
  name: string;
  updatedAt: string;
}

export type PaginationStyle = 'link' | 'page' | 'cursor' | 'offset';

export type Fault =
  | { kind: 'status'; status: number; body?: string | Buffer; headers?: Record<string, string> }
  | { kind: 'retry-after'; seconds: number; as: 'seconds' | 'date'; status?: number }
  /** Answers normally, but only after this long. */
  | { kind: 'slow'; delayMs: number }
  /** Destroys the socket without answering. */
  | { kind: 'reset' }
  /** Sends headers and half the body, then destroys the socket. */
  | { kind: 'truncate' }
  /** Sends headers (with the full Content-Length) and half the body, then nothing: the socket stays open. */
  | { kind: 'stall' }
  /** A complete 200 whose body is the first half of the JSON. */
  | { kind: 'bad-json' }
  /** A 200 JSON array of this many bytes, streamed without Content-Length until the client goes away. */
  | { kind: 'huge'; bytes: number };

export interface LoggedRequest {
  /** 1-based, in arrival order. */
  n: number;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  fault: Fault['kind'] | undefined;
  /** Body bytes written to the socket so far (counted for `huge` only). */
  bytesSent: number;
}

export type FaultPlan = Record<number, Fault> | ((request: LoggedRequest) => Fault | undefined);

export interface FaultServerOptions {
  /** How many records to generate (ids 1..n); default 25. */
  records?: number;
  pagination?: PaginationStyle;
  /** Page size when the client does not ask for one; default 10. */
  pageSize?: number;
  /** The largest page the server sends, whatever the client asks (many APIs cap it). */
  maxPageSize?: number;
  faults?: FaultPlan;
  /** When set, requests need `Authorization: Bearer <token>`; others get a 401 that echoes what they sent. */
  token?: string;
  /** `newest-first`: ordered by (updatedAt, id) descending, as many APIs list by default. */
  order?: 'oldest-first' | 'newest-first';
}

export interface FaultServer extends AsyncDisposable {
  /** The collection's URL, e.g. http://127.0.0.1:41234/items. */
  url: string;
  origin: string;
  requests: LoggedRequest[];
  /** Replaceable between requests. */
  faults: FaultPlan;
  /** The collection as served: ordered by (updatedAt, id). */
  list(): TestRecord[];
  update(id: number, changes: Partial<Omit<TestRecord, 'id'>>): TestRecord;
  add(record?: Partial<Omit<TestRecord, 'id'>>): TestRecord;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export const COLLECTION_PATH = '/items';

export function recordFor(id: number): TestRecord {
  return { id, name: `record ${id}`, updatedAt: new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString() };
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const records = Array.from({ length: options.records ?? 25 }, (_, i) => recordFor(i + 1));
  const style = options.pagination ?? 'link';
  const pageSize = options.pageSize ?? 10;
  const requests: LoggedRequest[] = [];
  const list = () =>
    records
      .map((record) => ({ record, at: Date.parse(record.updatedAt) }))
      .sort((a, b) => (a.at - b.at || a.record.id - b.record.id) * (options.order === 'newest-first' ? -1 : 1))
      .map(({ record }) => record);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const logged: LoggedRequest = {
      n: requests.length + 1,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      fault: undefined,
      bytesSent: 0,
    };
    requests.push(logged);
    const plan = handle.faults;
    const fault = typeof plan === 'function' ? plan(logged) : plan[logged.n];
    logged.fault = fault?.kind;
    const reply = () =>
      answer(url, req, { list, style, pageSize, maxPageSize: options.maxPageSize ?? Infinity, token: options.token });
    inject(fault, req, res, reply, logged);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const handle: FaultServer = {
    url: origin + COLLECTION_PATH,
    origin,
    requests,
    faults: options.faults ?? {},
    list,
    update(id, changes) {
      const record = records.find((r) => r.id === id);
      if (record === undefined) throw new Error(`no record ${id}`);
      return Object.assign(record, changes);
    },
    add(record = {}) {
      const id = Math.max(0, ...records.map((r) => r.id)) + 1;
      const added = { ...recordFor(id), ...record, id };
      records.push(added);
      return added;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return handle;
}

function inject(
  fault: Fault | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  reply: () => Reply,
  logged: LoggedRequest,
): void {
  switch (fault?.kind) {
    case undefined:
      return send(res, reply());
    case 'status':
      return send(res, {
        status: fault.status,
        headers: fault.headers ?? {},
        body: fault.body ?? json({ error: STATUS_CODES[fault.status] }),
      });
    case 'retry-after': {
      const value =
        fault.as === 'seconds' ? String(fault.seconds) : new Date(Date.now() + fault.seconds * 1000).toUTCString();
      return send(res, {
        status: fault.status ?? 429,
        headers: { 'retry-after': value },
        body: json({ error: 'slow down' }),
      });
    }
    case 'slow': {
      const timer = setTimeout(() => send(res, reply()), fault.delayMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'reset':
      req.socket.destroy();
      return;
    case 'truncate': {
      const { status, headers, body } = reply();
      res.writeHead(status, {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.write(body.slice(0, body.length / 2), () => req.socket.destroy());
      return;
    }
    case 'stall': {
      const { status, headers, body } = reply();
      const half = Buffer.from(body).subarray(0, Buffer.byteLength(body) / 2);
      res.writeHead(status, {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.write(half);
      return;
    }
    case 'bad-json': {
      const full = reply();
      return send(res, { ...full, body: full.body.slice(0, full.body.length / 2) });
    }
    case 'huge':
      return streamHuge(res, fault.bytes, logged);
  }
}

/** `[{"id":1,"name":"…"},…]` of about `bytes` bytes, written as fast as the client reads it. */
function streamHuge(res: ServerResponse, bytes: number, logged: LoggedRequest): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  let id = 0;
  const records = () => Array.from({ length: 64 }, () => json({ id: ++id, name: 'x'.repeat(1000) })).join(',');
  const pump = () => {
    while (!res.destroyed && logged.bytesSent < bytes) {
      const chunk = `${id === 0 ? '[' : ','}${records()}`;
      logged.bytesSent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end(']');
  };
  pump();
}

function send(res: ServerResponse, { status, headers, body }: Reply): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

interface Collection {
  list: () => TestRecord[];
  style: PaginationStyle;
  pageSize: number;
  maxPageSize: number;
  token: string | undefined;
}

function answer(url: URL, req: IncomingMessage, { list, style, pageSize, maxPageSize, token }: Collection): Reply {
  if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
    return {
      status: 401,
      headers: {},
      body: json({ error: 'invalid token', received: req.headers.authorization ?? null }),
    };
  }
  if (url.pathname !== COLLECTION_PATH)
    return { status: 404, headers: {}, body: json({ error: `no such path ${url.pathname}` }) };
  const since = url.searchParams.get('since');
  const all = list().filter((r) => since === null || Date.parse(r.updatedAt) >= Date.parse(since));
  const headers = { 'x-total-count': String(all.length) };
  const q = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
  const sizeOf = (name: string) => Math.min(q(name, pageSize), maxPageSize);
  switch (style) {
    case 'link':
    case 'page': {
      const page = q('page', 1);
      const size = sizeOf('per_page');
      const slice = all.slice((page - 1) * size, page * size);
      const link = style === 'link' ? { link: linkHeader(url, page, size, all.length) } : {};
      return { status: 200, headers: { ...headers, ...link }, body: json(slice) };
    }
    case 'offset': {
      const offset = q('offset', 0);
      return {
        status: 200,
        headers,
        body: json({ results: all.slice(offset, offset + sizeOf('limit')), count: all.length }),
      };
    }
    case 'cursor': {
      const cursor = url.searchParams.get('cursor');
      const after =
        cursor === null ? undefined : (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, number]);
      const rest = after === undefined ? all : all.filter((r) => compareKeys(key(r), after) > 0);
      const slice = rest.slice(0, sizeOf('limit'));
      const last = slice.at(-1);
      const next =
        slice.length < rest.length && last !== undefined
          ? Buffer.from(JSON.stringify(key(last))).toString('base64url')
          : null;
      return { status: 200, headers, body: json({ data: slice, meta: { next_cursor: next } }) };
    }
  }
}

/** Several links in one header, a relative next, a comma inside a quoted param: what real APIs send. */
function linkHeader(url: URL, page: number, size: number, count: number): string {
  const last = Math.max(1, Math.ceil(count / size));
  const at = (n: number, absolute: boolean) => {
    const target = new URL(url);
    target.searchParams.set('page', String(n));
    target.searchParams.set('per_page', String(size));
    return absolute ? `${url.origin}${target.pathname}${target.search}` : `${target.pathname}${target.search}`;
  };
  const links = [`<${at(1, true)}>; rel="first"`];
  if (page > 1) links.push(`<${at(page - 1, true)}>; rel=prev`);
  if (page < last) links.push(`<${at(page + 1, false)}>; title="page ${page + 1}, of ${last}"; rel="next"`);
  links.push(`<${at(last, true)}>; rel="last"`);
  return links.join(', ');
}

function key(r: TestRecord): [string, number] {
  return [r.updatedAt, r.id];
}

function compareKeys(a: [string, number], b: [string, number]): number {
  return Date.parse(a[0]) - Date.parse(b[0]) || a[1] - b[1];
}

function json(value: unknown): string {
  return JSON.stringify(value);
}
