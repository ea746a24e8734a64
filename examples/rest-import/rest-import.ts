// rest-import: a paginated JSON REST collection into a SQLite table (id TEXT PRIMARY KEY, data TEXT).
// With --cursor-field it is incremental: the checkpoint keeps the highest cursor value among the
// committed records, and the next run asks for records since it.
import { defineJob, isExactNumber, jsonText } from 'ferry';
import { runMain } from 'ferry/cli';
import { compareCursorValues, cursorValueOf, httpSource, type CursorValue, type Pagination } from 'ferry/http';
import { sqliteOrPostgres } from 'ferry/stores';
import type { StandardSchemaV1 } from '@standard-schema/spec';

// The job's own options name REST_IMPORT_ variables (a stray TABLE or TIMEOUT in the user's shell
// must not change a run); API_URL, API_KEY and the database's DB_PATH and DATABASE_URL stay shared.
const config = {
  apiUrl: {
    type: 'url',
    required: true,
    description: 'the collection URL (may carry query parameters)',
    example: 'https://api.example.com/v1/orders',
  },
  apiKey: { type: 'string', secret: true, description: 'sent as Authorization: Bearer <key>' },
  table: {
    type: 'string',
    env: 'REST_IMPORT_TABLE',
    description: "the table to fill (default: the URL's last path segment)",
  },
  idField: {
    type: 'string',
    env: 'REST_IMPORT_ID_FIELD',
    default: 'id',
    description: "the record's id field; the table's key",
  },
  cursorField: {
    type: 'string',
    env: 'REST_IMPORT_CURSOR_FIELD',
    description: 'a field that grows when a record changes (updatedAt): turns on incremental sync',
    example: 'updatedAt',
  },
  sinceParam: {
    type: 'string',
    env: 'REST_IMPORT_SINCE_PARAM',
    default: 'since',
    description: 'the query parameter that carries the checkpoint in incremental sync',
  },
  overlap: {
    type: 'duration',
    env: 'REST_IMPORT_OVERLAP',
    default: '0s',
    description: 'ask for this much before the checkpoint, when the cursor is a timestamp (clock skew)',
  },
  pageParam: {
    type: 'string',
    env: 'REST_IMPORT_PAGE_PARAM',
    description: 'the page-number parameter, for APIs paged by number (otherwise Link headers)',
    example: 'page',
  },
  pageSizeParam: {
    type: 'string',
    env: 'REST_IMPORT_PAGE_SIZE_PARAM',
    description: 'the page-size parameter',
    example: 'per_page',
  },
  pageSize: {
    type: 'int',
    env: 'REST_IMPORT_PAGE_SIZE',
    default: 100,
    min: 1,
    description: 'records per page asked for',
  },
  recordsField: {
    type: 'string',
    env: 'REST_IMPORT_RECORDS_FIELD',
    description: 'where the array is when the body is an object (dot path)',
    example: 'data.items',
  },
  maxRetries: {
    type: 'int',
    env: 'REST_IMPORT_MAX_RETRIES',
    default: 5,
    min: 0,
    description: 'retries per page on network errors, timeouts, 408, 429 and 5xx',
  },
  timeout: { type: 'duration', env: 'REST_IMPORT_TIMEOUT', default: '30s', description: 'per request' },
  maxBody: {
    type: 'int',
    default: 64,
    min: 1,
    max: 511,
    env: 'REST_IMPORT_MAX_BODY',
    description: 'the largest response body read, in MiB',
  },
} as const;

const job = defineJob({
  name: 'rest-import',
  version: '1.0.0',
  description: 'imports a paginated JSON REST collection into a SQLite table',
  store: sqliteOrPostgres(), // --db-path (SQLite, the default) or --db-url (PostgreSQL)
  config,
  schema: (c) => recordSchema([c.idField, ...(c.cursorField ? [c.cursorField] : [])]),
  async *read(ctx) {
    const c = ctx.config;
    await ctx.defineTable(tableName(c), { columns: { id: 'text', data: 'text' }, primaryKey: ['id'] });
    // The cursor as the API wrote it: an integer past 2^53 stays exact (an ExactNumber), in the checkpoint too.
    let high = (ctx.checkpoint as { cursor?: CursorValue } | undefined)?.cursor;
    const since = high === undefined ? undefined : lowered(high, c.overlap);
    if (since !== undefined) ctx.log.info(`incremental: records since ${jsonText(since)}`);
    const source = httpSource({
      url: c.apiUrl,
      headers: c.apiKey ? { authorization: `Bearer ${c.apiKey}` } : {},
      query: {
        ...(c.cursorField && since !== undefined ? { [c.sinceParam]: String(jsonText(since)) } : {}),
        ...(c.pageSizeParam && !c.pageParam ? { [c.pageSizeParam]: String(c.pageSize) } : {}),
      },
      ...(c.recordsField ? { recordsField: c.recordsField } : {}),
      pagination: pagination(c),
      totalHeader: 'x-total-count',
      timeoutMs: c.timeout,
      maxRetries: c.maxRetries,
      maxBodyBytes: c.maxBody * 1024 * 1024,
      signal: ctx.signal,
      onRetry: (r) => ctx.log.warn(`retry ${r.attempt} in ${r.delayMs} ms: ${r.reason}`, { url: r.url, code: r.code }),
    });
    let done = 0;
    for await (const page of source.pages()) {
      const items = page.records.map((record, index) => {
        const cursor = c.cursorField ? cursorValueOf(record, c.cursorField) : undefined;
        if (cursor !== undefined && (high === undefined || compareCursorValues(cursor, high) > 0)) high = cursor;
        return { ok: true as const, record, position: { source: page.url, page: page.number, index } };
      });
      yield items; // a page at a time: written (queued) before the generator goes on
      done += page.records.length;
      ctx.progress('import', done, source.total);
      // Every record up to here is queued before the checkpoint that claims it.
      if (c.cursorField && high !== undefined) ctx.setCheckpoint({ cursor: high });
    }
  },
  write: (record, ctx) =>
    ctx.write(tableName(ctx.config), { id: jsonText(record[ctx.config.idField]), data: JSON.stringify(record) }),
});

/**
 * A Standard Schema that checks the fields the job relies on (a non-empty string or a number)
 * and passes the record through untouched, so `data` keeps the API's own key order.
 */
function recordSchema(fields: string[]): StandardSchemaV1<unknown, Record<string, unknown>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'rest-import',
      validate(value) {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return { issues: [{ message: 'the record is not a JSON object' }] };
        const record = value as Record<string, unknown>;
        const bad = fields.filter(
          (f) =>
            !(
              typeof record[f] === 'number' ||
              isExactNumber(record[f]) ||
              (typeof record[f] === 'string' && record[f] !== '')
            ),
        );
        return bad.length === 0
          ? { value: record }
          : { issues: bad.map((f) => ({ message: `${f} is missing or empty`, path: [f] })) };
      },
    },
  };
}

const tableNames = new WeakMap<object, string>();

/** Per run, once: parsing the URL for every record cost ~3% of an import. */
function tableName(c: { table: string | undefined; apiUrl: string }): string {
  const known = tableNames.get(c);
  if (known) return known;
  const name = c.table ?? tableFromUrl(c.apiUrl);
  tableNames.set(c, name);
  return name;
}

function tableFromUrl(apiUrl: string): string {
  const segment = new URL(apiUrl).pathname.split('/').filter(Boolean).at(-1) ?? 'records';
  const name = segment.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `t_${name}`;
}

interface PagingConfig {
  pageParam: string | undefined;
  pageSizeParam: string | undefined;
  pageSize: number;
  cursorField: string | undefined;
  sinceParam: string;
}

/**
 * Link headers, or page numbers. An incremental run counts its pages from the last cursor read
 * (keyset): a record changed mid-run moves to the end, and plain page numbers would shift the
 * next unread record into a page already read, below the checkpoint, lost for good.
 */
function pagination(c: PagingConfig): Pagination {
  if (!c.pageParam) return { type: 'link' };
  const size = c.pageSizeParam ? { sizeParam: c.pageSizeParam } : {};
  const keyset = c.cursorField ? { keyset: { field: c.cursorField, param: c.sinceParam } } : {};
  return { type: 'page', pageParam: c.pageParam, size: c.pageSize, ...size, ...keyset };
}

function lowered(cursor: CursorValue, overlapMs: number): CursorValue {
  if (overlapMs === 0 || typeof cursor !== 'string' || Number.isNaN(Date.parse(cursor))) return cursor;
  return new Date(Date.parse(cursor) - overlapMs).toISOString();
}

export default job;
if (import.meta.main) await runMain(job);
