// node examples/desktop-host/main.ts → open the printed address: the demo window, importing from
// the demo API through the built rest-import sidecar (npm run build:examples), or from source.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoApi } from '../demo-api/demo-api.ts';
import { startDesktopHost, type Sidecar } from './server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = path.join(root, 'dist', process.platform === 'win32' ? 'rest-import.exe' : 'rest-import');
const sidecar: Sidecar = existsSync(built)
  ? { command: built }
  : {
      command: process.execPath,
      args: ['--conditions=source', path.join(root, 'examples/rest-import/rest-import.ts')],
    };

const api = await startDemoApi({ records: 2000, delayMs: 40 });
const host = await startDesktopHost({
  sidecar,
  apiUrl: api.url,
  dbPath: path.resolve('desktop-demo.db'),
  port: Number(process.env.PORT ?? 0),
});
console.log(
  `the window: ${host.url}\nthe sidecar: ${sidecar.command}\nmake the API fail: curl -X POST ${api.url.replace('/items', '/admin/fail?n=100')}`,
);
