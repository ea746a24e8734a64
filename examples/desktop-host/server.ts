// A stand-in for a desktop app's main process: serves one window on 127.0.0.1 and runs the
// rest-import sidecar with ferry/host, forwarding its events to the window (Server-Sent Events,
// where Electron would use IPC and Tauri its event system).
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJob, type FerryEvent, type JobHandle } from 'ferry/host';

export interface Sidecar {
  /** The built binary (dist/rest-import), or node with a script for a run from source. */
  command: string;
  args?: string[];
}

export interface DesktopHostOptions {
  sidecar: Sidecar;
  apiUrl: string;
  dbPath: string;
  port?: number;
}

const page = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.html');

export async function startDesktopHost(options: DesktopHostOptions) {
  const windows = new Set<ServerResponse>();
  let current: JobHandle | undefined;
  /** Whether the current run has printed its result line (it is exiting). */
  let resulted = false;
  const broadcast = (event: FerryEvent | { type: 'state'; running: boolean }) => {
    for (const res of windows) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const sidecarArgs = (extra: string[] = []) => ({ args: [...(options.sidecar.args ?? []), ...extra] });

  /** The run in progress, until its process has exited. */
  let running: Promise<void> | undefined;

  async function importNow(): Promise<void> {
    if (running && !resulted) return; // the button is disabled, but a double click must not start two
    // The window re-enables Import at the result line; the process may still be exiting (and holding
    // the run lock): wait for it rather than drop the click or start a second run beside it.
    if (running) await running;
    if (running) return; // another click got there first
    resulted = false;
    const run = importOnce().finally(() => (running = undefined));
    running = run;
    await run;
  }

  async function importOnce(): Promise<void> {
    const handle = startJob(options.sidecar.command, {
      ...sidecarArgs(),
      config: {
        apiUrl: options.apiUrl,
        dbPath: options.dbPath,
        cursorField: 'updatedAt',
        pageSizeParam: 'limit',
        pageSize: 50,
        maxRetries: 1,
        timeout: '5s',
      },
      graceMs: 3000,
    });
    current = handle;
    for await (const event of handle.events) {
      if (event.type === 'result') resulted = true;
      broadcast(event);
    }
    await handle.result;
    current = undefined;
  }

  async function health(): Promise<unknown> {
    const check = startJob(options.sidecar.command, {
      ...sidecarArgs(['check']),
      config: { dbPath: options.dbPath, maxAge: '1h' },
      key: null,
    });
    let line: unknown = { ok: false, problems: ['the healthcheck printed nothing'] };
    for await (const l of check.lines) if (l.kind === 'text' && l.stream === 'stdout') line = JSON.parse(l.line);
    return line;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/')
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(await readFile(page));
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      windows.add(res);
      res.write(`data: ${JSON.stringify({ type: 'state', running: current !== undefined })}\n\n`);
      req.on('close', () => windows.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/import') {
      void importNow();
      return void res.writeHead(202).end();
    }
    if (req.method === 'POST' && url.pathname === '/cancel') {
      await current?.cancel();
      return void res.writeHead(202).end();
    }
    if (req.method === 'GET' && url.pathname === '/health')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await health()));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const close = async () => {
    await current?.cancel();
    for (const res of windows) res.end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, close, [Symbol.asyncDispose]: close };
}
