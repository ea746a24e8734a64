/**
 * The text of a token a read ended inside (a CSV row; an XML tag, comment or run of text): its
 * start, and the reads after it that cannot end it, kept as pieces, neither scanned nor joined.
 * Parsed again from its start with every read, a field or cell of tens of megabytes took minutes.
 */
export class HeldText {
  #start = '';
  #pieces: string[] = [];
  #length = 0;

  /** The characters held. */
  get length(): number {
    return this.#length;
  }

  /** The token's start as the last scan left it, without the pieces held after it. */
  get start(): string {
    return this.#start;
  }

  /** Holds `text` as the start of a token, instead of what was held. */
  set(text: string): void {
    this.#start = text;
    this.#pieces = [];
    this.#length = text.length;
  }

  /** Holds a read that cannot end the token. */
  add(piece: string): void {
    this.#pieces.push(piece);
    this.#length += piece.length;
  }

  /** Everything held, as one string; nothing is held after. */
  take(): string {
    const all = this.#pieces.length === 0 ? this.#start : this.#start + this.#pieces.join('');
    this.set('');
    return all;
  }
}
