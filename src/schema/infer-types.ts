import type { ColumnType } from '../stores/tables.ts';
import { inherited, ownField, setField } from '../values/own-field.ts';
import { Kind, kindOf } from './value-kinds.ts';

/**
 * The narrowest column type that fits every value seen, from the union of their kinds. Integers
 * and decimals make numeric; a date among timestamps without a zone makes timestamp (its
 * midnight); any other mix is text, and so is a column with no value at all.
 */
export function typeOfKinds(kinds: number): ColumnType {
  if (kinds === 0 || kinds & Kind.text) return 'text';
  const { integer, longInteger, decimal, boolean, date, timestamp, timestamptz } = Kind;
  if ((kinds & ~(integer | longInteger)) === 0) return 'integer';
  if ((kinds & ~(integer | decimal)) === 0) return 'numeric';
  if (kinds === boolean) return 'boolean';
  if (kinds === date) return 'date';
  if ((kinds & ~(date | timestamp)) === 0) return 'timestamp';
  if (kinds === timestamptz) return 'timestamptz';
  return 'text';
}

/**
 * Infers column types from records, one at a time: {@link TypeInference.observe} every record of
 * a file, then {@link TypeInference.types} gives each column the narrowest type that fits all of
 * its values (see the README's type rules). A column is text as soon as one value is; its later
 * values are not looked at.
 */
export class TypeInference {
  readonly #kinds = new Map<string, number>();
  readonly #only: readonly string[] | undefined;
  /** Per column of `only`: whether its name is one every object inherits (read it with ownField). */
  readonly #inherited: readonly boolean[];
  /** Per column of `only`: the union of its values' kinds so far, -1 before its first record. */
  readonly #kindsAt: number[];

  /** `only`: the columns to infer (the others are not looked at); default every field of every record. */
  constructor(only?: readonly string[]) {
    this.#only = only;
    this.#inherited = only?.map(inherited) ?? [];
    this.#kindsAt = only?.map(() => -1) ?? [];
  }

  /** Takes in one record's values (a CSV row by its header, a JSON object's top-level fields). */
  observe(record: Readonly<Record<string, unknown>>): void {
    const only = this.#only;
    if (only === undefined) {
      for (const name of Object.keys(record)) this.#take(name, record[name]);
      return;
    }
    const kinds = this.#kindsAt;
    for (let i = 0; i < only.length; i++) {
      const seen = kinds[i] as number;
      if (seen > 0 && seen & Kind.text) continue; // text already: no value can change that
      const name = only[i] as string;
      kinds[i] = (seen < 0 ? 0 : seen) | kindOf(this.#inherited[i] ? ownField(record, name) : record[name]);
    }
  }

  #take(name: string, value: unknown): void {
    const seen = this.#kinds.get(name);
    if (seen !== undefined && seen & Kind.text) return;
    const kind = kindOf(value);
    if (seen === undefined || kind !== 0) this.#kinds.set(name, (seen ?? 0) | kind);
  }

  /** Whether every column seen is text already: no later value can change a type. */
  settled(): boolean {
    for (const kinds of this.#kindsAt) if (kinds >= 0 && (kinds & Kind.text) === 0) return false;
    for (const kinds of this.#kinds.values()) if ((kinds & Kind.text) === 0) return false;
    return true;
  }

  /**
   * The type of each column seen, in the order columns first appeared. A column with no value
   * (every one null or empty) is text, or left out with `valuedOnly`: there was nothing to go by.
   */
  types(options: { valuedOnly?: boolean } = {}): Record<string, ColumnType> {
    const types: Record<string, ColumnType> = {};
    const seen: [string, number][] = this.#only
      ? this.#only.flatMap((name, i) => ((this.#kindsAt[i] as number) < 0 ? [] : [[name, this.#kindsAt[i] as number]]))
      : [...this.#kinds];
    for (const [name, kinds] of seen) if (kinds !== 0 || !options.valuedOnly) setField(types, name, typeOfKinds(kinds));
    return types;
  }
}
