// A small JSON API on 127.0.0.1 to import from: GET /items, ordered by (updatedAt, id), filtered by
// ?since= (updatedAt >= since), paged by a keyset `Link: <…>; rel="next"` that stays correct
// while records change, with X-Total-Count. POST /admin/touch?ids=… and /admin/add?n=… change it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoRecord {
  id: string;
  name: string;
  price: number;
  updatedAt: string;
}

export interface DemoApi extends AsyncDisposable {
  url: string;
  records: Map<string, DemoRecord>;
  /** Changes these records (new name, updatedAt now); returns them. */
  touch(ids: string[]): DemoRecord[];
  /** Adds n new records. */
  add(n: number): DemoRecord[];
  /** Answers the next n GET /items with 503 (0 heals it). */
  failNext(n: number): void;
  close(): Promise<void>;
}

const EPOCH = Date.parse('2026-01-01T00:00:00.000Z');

export interface DemoApiOptions {
  records?: number;
  port?: number;
  /** When set, GET /items needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Called before each GET /items is answered, with its 1-based number: a hook to change records mid-import. */
  onList?: (n: number) => void;
  /** Wait this long before answering each GET /items, so an import takes a while to watch. */
  delayMs?: number;
}

export async function startDemoApi(options: DemoApiOptions = {}): Promise<DemoApi> {
  let lists = 0;
  let failing = 0;
  const records = new Map<string, DemoRecord>();
  let last = 0;
  // Strictly increasing timestamps: two changes never share an updatedAt.
  const tick = () => new Date((last = Math.max(Date.now(), last + 1))).toISOString();
  const make = (n: number): DemoRecord => ({
    id: `item-${String(n).padStart(4, '0')}`,
    name: `Item ${n}`,
    price: (n * 7) % 100,
    updatedAt: new Date(EPOCH + n * 1000).toISOString(),
  });
  for (let n = 1; n <= (options.records ?? 250); n++) records.set(make(n).id, make(n));

  const api = {
    records,
    touch(ids: string[]) {
      return ids.flatMap((id) => {
        const r = records.get(id);
        if (!r) return [];
        r.name = `${r.name.replace(/ \(v\d+\)$/, '')} (v${Date.now() % 1000})`;
        r.updatedAt = tick();
        return [r];
      });
    },
    add(n: number) {
      return Array.from({ length: n }, () => {
        const r = { ...make(records.size + 1), updatedAt: tick() };
        records.set(r.id, r);
        return r;
      });
    },
    failNext(n: number) {
      failing = n;
    },
  };

  const server = createServer((req, res) => {
    const answer = () => {
      try {
        route(req, res);
      } catch (error) {
        send(res, 500, { error: String(error) });
      }
    };
    if (options.delayMs && req.url?.startsWith('/items')) setTimeout(answer, options.delayMs);
    else answer();
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/admin/touch')
      return send(res, 200, api.touch((url.searchParams.get('ids') ?? '').split(',')));
    if (req.method === 'POST' && url.pathname === '/admin/add')
      return send(res, 200, api.add(Number(url.searchParams.get('n') ?? 1)));
    if (req.method === 'POST' && url.pathname === '/admin/fail')
      return send(res, 200, { failing: (failing = Number(url.searchParams.get('n') ?? 0)) });
    if (url.pathname !== '/items') return send(res, 404, { error: 'not found' });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`)
      return send(res, 401, { error: 'missing or wrong bearer token' });
    options.onList?.(++lists);
    if (failing > 0) {
      failing--;
      return send(res, 503, { error: 'the demo API is failing on purpose' });
    }
    const since = url.searchParams.get('since') ?? '';
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100)));
    const after = url.searchParams.get('after');
    const matching = [...records.values()].filter((r) => r.updatedAt >= since).sort(byUpdated);
    const start = after === null ? 0 : matching.findIndex((r) => key(r) > after);
    const page = start < 0 ? [] : matching.slice(start, start + limit);
    const headers: Record<string, string> = { 'x-total-count': String(matching.length) };
    const last = page.at(-1);
    if (last && start + limit < matching.length) {
      const next = new URL(url);
      next.searchParams.set('after', key(last));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    send(res, 200, page, headers);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { ...api, url: `http://127.0.0.1:${port}/items`, close, [Symbol.asyncDispose]: close };
}

const key = (r: DemoRecord) => `${r.updatedAt}|${r.id}`;
const byUpdated = (a: DemoRecord, b: DemoRecord) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

if (import.meta.main) {
  const api = await startDemoApi({ port: Number(process.env.PORT ?? 0) });
  console.log(`demo API at ${api.url} (${api.records.size} records); Ctrl-C stops it`);
}
