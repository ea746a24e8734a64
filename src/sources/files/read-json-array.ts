import { pipeline, type Duplex } from 'node:stream';
import { Assembler } from 'stream-json/assembler.js';
import { pick } from 'stream-json/filters/pick.js';
import { parser, type Token } from 'stream-json/parser.js';
import { PermanentError, isFerryError } from '../../errors/errors.ts';
import { exactNumber } from '../../values/exact-json.ts';
import type { SourceItem } from '../source-item.ts';
import { readBatches } from './read-batches.ts';
import { fileSource, type FileSource } from './file-source.ts';
import { openStream, throwIfCancelled, type ReadOptions } from './open-stream.ts';
import { checkEncoding } from './text-decoding.ts';

export interface ReadJsonArrayOptions extends ReadOptions {
  /** Dot path to the array inside a top-level object, e.g. 'data.items'. Default: the top level. */
  jsonPath?: string;
}

/**
 * Streams the elements of a JSON array, one at a time, however big the file. A file that is
 * not valid JSON (a truncated download, say) throws a PermanentError once the reader gets there:
 * the elements before the damage have been yielded by then. A bad encoding throws a
 * ConfigError at the call.
 */
export function readJsonArray(file: string, options: ReadJsonArrayOptions = {}): FileSource<unknown> {
  checkEncoding(options.encoding);
  return fileSource(() => elements(file, options), options.signal);
}

async function* elements(file: string, options: ReadJsonArrayOptions): AsyncGenerator<SourceItem<unknown>[]> {
  const jsonPath = options.jsonPath || undefined; // '' means the top level too
  const input = await openStream(file, options);
  // The assembler reads packed values only, so the streamed pieces are not made at all. A
  // 16-token buffer (the object-mode default) would make a batch of every 16 tokens.
  const tokenOptions = { streamValues: false, readableHighWaterMark: 16_384 };
  const tokenizer: Duplex =
    jsonPath === undefined
      ? parser.asStream(tokenOptions)
      : pick.withParserAsStream({ ...tokenOptions, filter: jsonPath });
  pipeline(input, tokenizer, noop);
  const where = jsonPath === undefined ? 'at the top level' : `at ${jsonPath}`;
  const asm = new Assembler();
  let row = 0;
  let items: SourceItem<unknown>[] = [];
  // A top-level object is looked into, a few members deep, to say where its records are.
  let members: ObjectMembers | undefined;
  const notArray = (token: Token, inside = '') =>
    new PermanentError(`${file}: the value ${where} is not an array but ${kindOf(token)}${hint(jsonPath)}${inside}`, {
      code: 'JSON_NOT_ARRAY',
    });
  try {
    for await (const tokens of readBatches<Token>(tokenizer)) {
      throwIfCancelled(options.signal);
      for (const token of tokens) {
        if (members !== undefined) {
          if (members.read(token)) throw notArray({ name: 'startObject' }, members.hint());
          continue;
        }
        if (asm.depth === 0 && token.name !== 'startArray') {
          if (jsonPath === undefined && token.name === 'startObject') {
            members = new ObjectMembers();
            continue;
          }
          throw notArray(token);
        }
        asm.consume(exact(token));
        if (asm.depth !== 1) continue;
        const elements = asm.current as unknown[];
        if (elements.length === 0) continue;
        items.push({ ok: true, record: elements.pop(), position: { source: file, row: ++row } });
      }
      if (items.length > 0) yield items;
      items = [];
    }
  } catch (error) {
    if (items.length > 0) yield items; // the elements before the damage
    throw jsonError(file, error, row, jsonPath === undefined);
  } finally {
    tokenizer.destroy();
  }
  if (members !== undefined) throw notArray({ name: 'startObject' }, members.hint()); // cut short inside it
  if (asm.current === null) {
    throw new PermanentError(`${file}: there is no value ${where}${hint(jsonPath)}`, { code: 'JSON_PATH_NOT_FOUND' });
  }
}

/**
 * The assembler would parseFloat a number, rounding one a double cannot hold; it saves the value
 * of a packed string token as given, so a number goes in as that, already exact.
 */
function exact(token: Token): Token {
  if (token.name !== 'numberValue') return token;
  return { name: 'stringValue', value: exactNumber(token.value as string) as unknown as string };
}

function kindOf(token: Token): string {
  if (token.name === 'startObject') return 'an object';
  if (token.name === 'stringValue' || token.name === 'startString') return 'a string';
  if (token.name === 'numberValue' || token.name === 'startNumber') return 'a number';
  if (token.name === 'nullValue') return 'null';
  return 'a boolean';
}

/**
 * The members of a top-level object, read as tokens until one holds an array (where the records
 * likely are: `{"meta": …, "data": [...]}`), the object ends, or enough were read to tell: an
 * object whose members are all objects is records keyed by their ids, as Firebase exports them.
 */
class ObjectMembers {
  #depth = 1;
  #key: string | undefined;
  #objects = 0;
  #others = 0;
  #array: string | undefined;
  /** The keys inside the members that are objects, and how many of them are row numbers ("0", "1"…). */
  #innerKeys = 0;
  #numberedKeys = 0;

  /** Reads one token; true once the object has told what it can. */
  read(token: Token): boolean {
    if (this.#depth === 1 && token.name === 'keyValue') {
      this.#key = token.value as string;
      return false;
    }
    if (this.#depth === 2 && token.name === 'keyValue') {
      this.#innerKeys++;
      if (/^\d+$/.test(token.value as string)) this.#numberedKeys++;
    }
    if (this.#depth === 1 && this.#key !== undefined) {
      if (token.name === 'startArray') this.#array = this.#key;
      else if (token.name === 'startObject') this.#objects++;
      else this.#others++;
      this.#key = undefined;
    }
    if (token.name === 'startObject' || token.name === 'startArray') this.#depth++;
    else if (token.name === 'endObject' || token.name === 'endArray') this.#depth--;
    return this.#array !== undefined || this.#depth === 0 || this.#objects + this.#others >= MEMBERS_READ;
  }

  /** What the members told, then the NDJSON hint: a file of one object per line starts the same way. */
  hint(): string {
    const path = this.#array;
    if (path !== undefined && path !== '' && !path.includes('.'))
      return `; its member ${JSON.stringify(path)} is an array: --json-path ${path}${LINES}`;
    if (this.#objects > 0 && this.#others === 0 && this.#innerKeys > 0 && this.#numberedKeys === this.#innerKeys) {
      return (
        `; its members are objects keyed by row numbers: columns, as pandas' DataFrame.to_json writes them by ` +
        `default (orient='columns'): write the file with orient='records' (or orient='records', lines=True for NDJSON)${LINES}`
      );
    }
    if (this.#objects > 0 && this.#others === 0) {
      return (
        `; its members are objects, as records keyed by their ids are (a Firebase export): make it an array of ` +
        `records first, the id kept as a field, e.g. jq '[to_entries[] | {id: .key} + .value]' FILE > records.json${LINES}`
      );
    }
    return LINES;
  }
}

/** Members of a top-level object read, at most, to tell where its records are. */
const MEMBERS_READ = 100;

/** A .json file may as well be NDJSON: one object per line, not one value. */
const LINES = '; if it holds one JSON object per line, it is NDJSON: read it as such (file-import: --format ndjson)';

function hint(jsonPath: string | undefined): string {
  return jsonPath === undefined
    ? ": give the dot path of the records array inside it as jsonPath (file-import: --json-path), e.g. 'data' or 'data.items'"
    : ': check the path against the file';
}

function jsonError(file: string, error: unknown, row: number, topLevel: boolean): unknown {
  if (isFerryError(error) || !(error instanceof Error)) return error;
  const where = row === 0 ? 'before the first element' : `after element ${row}`;
  // NDJSON named .json fails here, after its first line: one value, then another.
  const lines = row === 0 && topLevel ? LINES : '';
  return new PermanentError(
    `${file}: not valid JSON ${where} (${error.message}): the file may be truncated; export or download it again${lines}`,
    { code: 'JSON_INVALID', cause: error },
  );
}

function noop(): void {}
