// rest-import: a paginated JSON REST collection into a SQLite table (id TEXT PRIMARY KEY, data TEXT),
// with --columns auto also each top-level field as a typed column. With --cursor-field it is
// incremental: the checkpoint keeps the highest cursor value among the committed records, and the
// next run asks for records since it.
import {
  ConfigError,
  defineJob,
  isExactNumber,
  jsonText,
  type ColumnType,
  type JobContext,
  type Row,
  type SourceItem,
} from 'ferry';
import { runMain } from 'ferry/cli';
import { parseTypeOverrides, SchemaContract, TypeInference, type SchemaMode, type TypeOverrides } from 'ferry/files';
import {
  compareCursorValues,
  cursorValueOf,
  httpSource,
  isSecretName,
  type CursorValue,
  type Pagination,
} from 'ferry/http';
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
  apiKey: {
    type: 'string',
    secret: true,
    description: 'sent as Authorization: Bearer <key>, or as --api-key-header and --api-key-scheme say',
  },
  apiKeyHeader: {
    type: 'string',
    env: 'REST_IMPORT_API_KEY_HEADER',
    default: 'Authorization',
    description: 'the header that carries --api-key; a name that says it holds a credential (…Key, …Token, …Auth)',
    example: 'X-API-Key',
  },
  apiKeyScheme: {
    type: 'string',
    env: 'REST_IMPORT_API_KEY_SCHEME',
    description: 'the word before the key in its header (default Bearer in Authorization, none in another header)',
    example: 'Token',
  },
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
  offsetParam: {
    type: 'string',
    env: 'REST_IMPORT_OFFSET_PARAM',
    description: 'the record-offset parameter, for APIs paged by offset (0 first), with --page-size-param as the limit',
    example: 'startAt',
  },
  afterParam: {
    type: 'string',
    env: 'REST_IMPORT_AFTER_PARAM',
    description:
      "the parameter that carries the last record's --id-field to ask for the next page, while the body's has_more says so",
    example: 'starting_after',
  },
  nextField: {
    type: 'string',
    env: 'REST_IMPORT_NEXT_FIELD',
    description:
      "where the body says the next page is (dot path): its URL, or with --next-param a token; without it, Link headers, then the body's next, links.next, _links.next, @odata.nextLink, nextRecordsUrl",
    example: 'meta.next_cursor',
  },
  nextParam: {
    type: 'string',
    env: 'REST_IMPORT_NEXT_PARAM',
    description: 'with --next-field: the query parameter that carries the token to the next request',
    example: 'cursor',
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
  totalField: {
    type: 'string',
    env: 'REST_IMPORT_TOTAL_FIELD',
    description:
      'where the record count is in the body (dot path), when the API says it there and not in X-Total-Count: for progress, and to know a 404 after the last full page for the end',
    example: 'count',
  },
  maxRetries: {
    type: 'int',
    env: 'REST_IMPORT_MAX_RETRIES',
    default: 5,
    min: 0,
    description:
      'retries per page on network errors, timeouts, 202, 408, 425, 429, 5xx and rate limits (a 403 saying so)',
  },
  timeout: { type: 'duration', env: 'REST_IMPORT_TIMEOUT', default: '30s', max: '24d', description: 'per request' },
  maxBody: {
    type: 'int',
    default: 64,
    min: 1,
    max: 511,
    env: 'REST_IMPORT_MAX_BODY',
    description: 'the largest response body read, in MiB',
  },
  columns: {
    type: 'enum',
    values: ['data', 'auto'],
    default: 'data',
    env: 'REST_IMPORT_COLUMNS',
    description: 'data: the record as JSON in data; auto: also each top-level field as a typed column',
  },
  types: {
    type: 'list',
    env: 'REST_IMPORT_TYPES',
    description: "with --columns auto: column types by hand, field=type; '*=text' for every other field",
    example: 'zip=text,amount=numeric',
  },
  schema: {
    type: 'enum',
    values: ['evolve', 'freeze'],
    default: 'evolve',
    env: 'REST_IMPORT_SCHEMA',
    description:
      'with --columns auto: evolve adds the columns new fields need; freeze rejects records with a value for a field the table lacks',
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
    const typed = c.columns === 'auto' ? await TypedColumns.open(ctx, tableName(c), c) : undefined;
    if (typed) typedColumns.set(c, typed);
    else await ctx.defineTable(tableName(c), { columns: { id: 'text', data: 'text' }, primaryKey: ['id'] });
    // The cursor as the API wrote it: an integer past 2^53 stays exact (an ExactNumber), in the checkpoint too.
    let high = (ctx.checkpoint as { cursor?: CursorValue } | undefined)?.cursor;
    const since = high === undefined ? undefined : lowered(high, c.overlap);
    if (since !== undefined) ctx.log.info(`incremental: records since ${jsonText(since)}`);
    const source = httpSource({
      url: c.apiUrl,
      headers: apiKeyHeaders(c),
      query: {
        ...(c.cursorField && since !== undefined ? { [c.sinceParam]: String(jsonText(since)) } : {}),
        ...(c.pageSizeParam && !c.pageParam ? { [c.pageSizeParam]: String(c.pageSize) } : {}),
      },
      ...(c.recordsField ? { recordsField: c.recordsField } : {}),
      pagination: pagination(c),
      totalHeader: 'x-total-count',
      ...(c.totalField ? { totalField: c.totalField } : {}),
      timeoutMs: c.timeout,
      maxRetries: c.maxRetries,
      maxBodyBytes: c.maxBody * 1024 * 1024,
      signal: ctx.signal,
      onRetry: (r) => ctx.log.warn(`retry ${r.attempt} in ${r.delayMs} ms: ${r.reason}`, { url: r.url, code: r.code }),
    });
    let done = 0;
    const order = new CursorOrder(c.cursorField, (message) => ctx.log.warn(message));
    for await (const page of source.pages()) {
      const before = high; // the highest cursor of the pages before this one
      const items = page.records.map((record, index) => {
        const cursor = c.cursorField ? cursorValueOf(record, c.cursorField) : undefined;
        if (cursor !== undefined) order.saw(cursor);
        if (cursor !== undefined && (high === undefined || compareCursorValues(cursor, high) > 0)) high = cursor;
        return { ok: true as const, record, position: { source: page.url, page: page.number, index } };
      });
      yield typed ? await typed.page(ctx, items) : items; // a page at a time: written (queued) before the generator goes on
      done += page.records.length;
      ctx.progress('import', done, source.total);
      // Every record up to here is queued before the checkpoint that claims it. Mid-read it claims
      // the pages before this one, and only while records come in ascending order (CursorOrder).
      if (c.cursorField && before !== undefined && order.ascending) ctx.setCheckpoint({ cursor: before });
    }
    if (c.cursorField && high !== undefined) ctx.setCheckpoint({ cursor: high }); // every record read
  },
  write(record, ctx) {
    const row = { id: jsonText(record[ctx.config.idField]), data: JSON.stringify(record) };
    if (ctx.config.columns === 'data') return ctx.write(tableName(ctx.config), row);
    const typed = typedColumns.get(ctx.config);
    if (!typed) throw new ConfigError(REPLAY_UNTYPED);
    return ctx.write(tableName(ctx.config), { ...typed.row(record), ...row });
  },
});

/**
 * Whether the records came in ascending cursor order so far: one cursor above another seen, none
 * below the one before it. Only then does the highest cursor of the pages before the current one
 * vouch for every record below it: from an API that sends the newest first, a run that failed on
 * page 3 had committed page 1's newest cursor, and the next run asked only for records after it,
 * leaving pages 3 and on out for good. Cursors that are all alike prove no order (a date-only
 * field). Out of order, the checkpoint moves only once the whole collection has been read.
 */
class CursorOrder {
  #rose = false;
  #fell = false;
  #last: CursorValue | undefined;
  readonly #field: string | undefined;
  readonly #warn: (message: string) => void;

  constructor(field: string | undefined, warn: (message: string) => void) {
    this.#field = field;
    this.#warn = warn;
  }

  get ascending(): boolean {
    return this.#rose && !this.#fell;
  }

  saw(cursor: CursorValue): void {
    const last = this.#last;
    this.#last = cursor;
    if (this.#fell || last === undefined) return;
    const order = compareCursorValues(cursor, last);
    if (order > 0) this.#rose = true;
    if (order >= 0) return;
    this.#fell = true;
    this.#warn(
      `records are not in ascending order of ${this.#field} (${jsonText(cursor)} after ${jsonText(last)}): the checkpoint moves only when every page has been read, so an interrupted run starts over; ask the API for ascending order to keep its progress`,
    );
  }
}

const typedColumns = new WeakMap<object, TypedColumns>();
const REPLAY_UNTYPED =
  '--columns auto types the records as pages are read, and rejects --replay reads none: run the import again instead (--full-refresh reads everything)';
/** Fields that are ferry's own columns already (id, data) or ferry's names: no typed column of their own. */
const OWN = /^(id|data|_ferry.*)$/i;

/**
 * --columns auto: each top-level field of the records as a typed column beside id and data. A
 * field's type is inferred from the page it first has a value in (an API is not read twice), and
 * fixed from then on: a later value that does not fit it is a reject, never converted.
 */
class TypedColumns {
  readonly #table: string;
  readonly #overrides: TypeOverrides;
  readonly #mode: SchemaMode;
  #declared: Record<string, ColumnType>;
  readonly #rows = new WeakMap<object, Row>();

  private constructor(table: string, declared: Record<string, ColumnType>, overrides: TypeOverrides, mode: SchemaMode) {
    this.#table = table;
    this.#declared = declared;
    this.#overrides = overrides;
    this.#mode = mode;
  }

  static async open(ctx: JobContext, table: string, c: { types: string[]; schema: SchemaMode }): Promise<TypedColumns> {
    const existing = (await ctx.tableColumns(table)) ?? {};
    const declared = Object.fromEntries(Object.entries(existing).filter(([name]) => !OWN.test(name)));
    const overrides = parseTypeOverrides(c.types);
    for (const [name, type] of overrides.columns) {
      const kept = Object.hasOwn(declared, name) ? declared[name] : undefined;
      if (kept !== undefined && kept !== type)
        throw new ConfigError(
          `--types ${name}=${type}: table ${table} has ${name} as ${kept} already, and ferry never changes a column's type: leave it out, or import into a new --table`,
        );
    }
    const typed = new TypedColumns(table, declared, overrides, c.schema);
    await typed.#define(ctx);
    return typed;
  }

  /** The page's items, each record's typed row kept for write(); a value that does not fit its column is a reject. */
  async page(ctx: JobContext, items: SourceItem<unknown>[]): Promise<SourceItem<unknown>[]> {
    const fields = new Set<string>();
    for (const item of items)
      if (item.ok && isObject(item.record)) for (const name of Object.keys(item.record)) fields.add(name);
    // Own fields only: every object answers .constructor and .toString, and records may name theirs so.
    const fresh = [...fields].filter((f) => !OWN.test(f) && !Object.hasOwn(this.#declared, f));
    if (fresh.length > 0 && this.#mode === 'evolve') await this.#grow(ctx, items, fresh);
    const contract = new SchemaContract({
      table: this.#table,
      columns: [...Object.keys(this.#declared), ...(this.#mode === 'freeze' ? fresh : [])],
      existing: this.#declared,
      inferred: {},
      overrides: { columns: new Map(), others: undefined },
      mode: this.#mode,
      ordered: false, // a JSON record's fields have no fixed place
    });
    return items.map((item) => {
      if (!item.ok || !isObject(item.record)) return item;
      const checked = contract.check(item);
      if (checked.ok) this.#rows.set(item.record, checked.record);
      return checked.ok ? item : checked;
    });
  }

  /** A record's typed values, as page() checked them. */
  row(record: object): Row {
    const row = this.#rows.get(record);
    if (row === undefined) throw new ConfigError(REPLAY_UNTYPED);
    return row;
  }

  /** Adds the fresh fields that have a value in this page, typed by this page's values. */
  async #grow(ctx: JobContext, items: SourceItem<unknown>[], fresh: string[]): Promise<void> {
    const inference = new TypeInference();
    for (const item of items) if (item.ok && isObject(item.record)) inference.observe(item.record);
    const inferred = inference.types({ valuedOnly: true });
    const { columns, others } = this.#overrides;
    const added = fresh.flatMap((f) => {
      const type = columns.get(f) ?? (Object.hasOwn(inferred, f) ? (others ?? inferred[f]) : undefined);
      return type === undefined ? [] : [[f, type] as const];
    });
    if (added.length === 0) return; // only nulls so far: nothing to type them by
    this.#declared = { ...this.#declared, ...Object.fromEntries(added) };
    await this.#define(ctx);
  }

  #define(ctx: JobContext): Promise<void> {
    return ctx.defineTable(this.#table, {
      columns: { id: 'text', data: 'text', ...this.#declared },
      primaryKey: ['id'],
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
          : { issues: bad.map((f) => ({ message: fieldIssue(f, record[f]), path: [f] })) };
      },
    },
  };
}

/** Why a key or cursor field will not do: absent, or a value no key can be made of (an object, true). */
function fieldIssue(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return `${field} is missing or empty`;
  const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return `${field} is ${kind}, not a string or a number`;
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

/**
 * The header that carries the API key. Only a name that says it holds a credential: httpSource
 * sends such headers to the API's own origin only, never to another a Link or redirect points to.
 */
function apiKeyHeaders(c: { apiKey: string | undefined; apiKeyHeader: string; apiKeyScheme: string | undefined }) {
  const name = c.apiKeyHeader.trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new ConfigError(`--api-key-header ${JSON.stringify(name)} is not a header name`);
  const authorization = name.toLowerCase() === 'authorization';
  if (!authorization && !isSecretName(name))
    throw new ConfigError(
      `--api-key-header ${name}: give a header whose name says it holds a credential (X-API-Key, X-Auth-Token…), which ferry keeps from other origins`,
    );
  if (!c.apiKey) return {};
  const scheme = (c.apiKeyScheme ?? (authorization ? 'Bearer' : '')).trim();
  return { [name]: scheme === '' ? c.apiKey : `${scheme} ${c.apiKey}` };
}

interface PagingConfig {
  pageParam: string | undefined;
  afterParam: string | undefined;
  idField: string;
  offsetParam: string | undefined;
  nextField: string | undefined;
  nextParam: string | undefined;
  pageSizeParam: string | undefined;
  pageSize: number;
  cursorField: string | undefined;
  sinceParam: string;
}

/**
 * The next page's URL or token where --next-field says, page numbers, offsets, the last record's id, or else Link headers (and
 * the body's usual next links). An incremental run counts its pages from the last cursor read
 * (keyset): a record changed mid-run moves to the end, and plain page numbers would shift the
 * next unread record into a page already read, below the checkpoint, lost for good.
 */
function pagination(c: PagingConfig): Pagination {
  if (c.nextParam && !c.nextField)
    throw new ConfigError(`--next-param ${c.nextParam} needs --next-field: where the body has the token`);
  const ways = Object.entries({
    '--next-field': c.nextField,
    '--page-param': c.pageParam,
    '--offset-param': c.offsetParam,
    '--after-param': c.afterParam,
  }).filter(([, value]) => value);
  if (ways.length > 1)
    throw new ConfigError(`${ways.map(([flag]) => flag).join(' and ')} are ways to find the next page: give one`);
  if (c.nextField)
    return c.nextParam
      ? { type: 'cursor', field: c.nextField, param: c.nextParam }
      : { type: 'next', field: c.nextField };
  if (c.offsetParam) return offsetPaging(c, c.offsetParam);
  if (c.afterParam) return { type: 'after', param: c.afterParam, field: c.idField };
  if (!c.pageParam) return { type: 'link' };
  const size = c.pageSizeParam ? { sizeParam: c.pageSizeParam } : {};
  const keyset = c.cursorField ? { keyset: { field: c.cursorField, param: c.sinceParam } } : {};
  return { type: 'page', pageParam: c.pageParam, size: c.pageSize, ...size, ...keyset };
}

/** Record offsets (Jira's startAt and maxResults); not for incremental sync, which pages by keyset. */
function offsetPaging(c: PagingConfig, offsetParam: string): Pagination {
  if (!c.pageSizeParam)
    throw new ConfigError(
      `--offset-param ${offsetParam} needs --page-size-param: the parameter of the records per page (limit, maxResults)`,
    );
  // A record changed mid-run moves to the end and shifts an unread one below the offsets read,
  // and below the checkpoint the run ends with: lost for good. Page numbers from a keyset avoid it.
  if (c.cursorField)
    throw new ConfigError(
      `--offset-param with --cursor-field would lose records that shift while pages are read: for incremental sync use --page-param (paged from the last ${c.cursorField} read)`,
    );
  return { type: 'offset', offsetParam, limitParam: c.pageSizeParam, limit: c.pageSize };
}

function lowered(cursor: CursorValue, overlapMs: number): CursorValue {
  if (overlapMs === 0 || typeof cursor !== 'string' || Number.isNaN(Date.parse(cursor))) return cursor;
  return new Date(Date.parse(cursor) - overlapMs).toISOString();
}

export default job;
if (import.meta.main) await runMain(job);
