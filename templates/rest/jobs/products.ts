// products: a JSON REST collection, page by page, into the SQLite table `products`.
//   npm start -- --api-url https://api.example.com/v1/products      (or PRODUCTS_API_URL in the environment)
import { defineJob } from 'ferry';
import { runMain } from 'ferry/cli';
import { httpSource } from 'ferry/http';
import { sqlite } from 'ferry/sqlite';
import { z } from 'zod';

const job = defineJob({
  name: 'products',
  version: '0.1.0',
  description: 'imports a paginated JSON API of products into SQLite',
  envPrefix: 'PRODUCTS', // PRODUCTS_API_URL…: a stray API_URL in the shell cannot change a run
  store: sqlite(), // adds --db-path (PRODUCTS_DB_PATH, default ./ferry.db) and --batch-size
  tables: {
    products: { columns: { id: 'text', name: 'text', price: 'real', updated_at: 'text' }, primaryKey: ['id'] },
  },
  config: {
    apiUrl: {
      type: 'url',
      required: true,
      description: 'the collection URL',
      example: 'https://api.example.com/v1/products',
    },
    apiKey: { type: 'string', secret: true, description: 'sent as Authorization: Bearer <key>' },
    pageSize: { type: 'int', default: 100, min: 1, description: 'records per page asked for' },
  },
  // A record that does not match goes to _ferry_rejects with its page and index; the run goes on.
  schema: z.object({
    id: z.union([z.string(), z.number()]),
    name: z.string(),
    price: z.number(),
    updatedAt: z.string(),
  }),
  async *read(ctx) {
    const source = httpSource({
      url: ctx.config.apiUrl,
      headers: ctx.config.apiKey ? { authorization: `Bearer ${ctx.config.apiKey}` } : {},
      pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', size: ctx.config.pageSize },
      totalHeader: 'x-total-count',
      signal: ctx.signal,
      onRetry: (r) => ctx.log.warn(`retry ${r.attempt} in ${r.delayMs} ms: ${r.reason}`),
    });
    let done = 0;
    for await (const page of source.pages()) {
      for (const [index, record] of page.records.entries()) {
        yield { ok: true, record, position: { source: page.url, page: page.number, index } };
      }
      done += page.records.length;
      ctx.progress('products', done, source.total);
    }
  },
  // The id comes from the data, so a rerun updates the same rows instead of adding new ones.
  write: (p, ctx) => ctx.write('products', { id: String(p.id), name: p.name, price: p.price, updated_at: p.updatedAt }),
});

export default job;
if (import.meta.main) await runMain(job);
