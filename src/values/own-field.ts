// Records come from files and APIs, so their field names are anyone's: "constructor", "toString"
// and "__proto__" among them. Every plain object answers record.constructor with a function it
// inherits, and an assignment to record.__proto__ sets the prototype instead of a field: read and
// write a record's fields through these, never by plain indexing.

/** The record's own field `name`, or undefined when it has none (never a property it inherits). */
export function ownField(record: object, name: string): unknown {
  return Object.hasOwn(record, name) ? (record as Record<string, unknown>)[name] : undefined;
}

/**
 * Whether every plain object answers to `name` without having it (constructor, toString,
 * __proto__…): only such a name needs ownField. Worked out once per column, it keeps the plain,
 * fast read for every other one in per-row loops.
 */
export function inherited(name: string): boolean {
  return name in Object.prototype;
}

/** Sets `name` as an own, enumerable field, "__proto__" included. */
export function setField<T>(record: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__')
    Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}
