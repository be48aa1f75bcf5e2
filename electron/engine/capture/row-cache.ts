/**
 * Least recently used values up to a total of bytes: the rows of stopped captures, read back from their
 * journals when a reader needs them. A value larger than the whole budget is not kept (its reader holds it
 * while it works); adding one evicts the least recently used until the rest fits.
 */
export class ByteLru<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** The value for `key`, now the most recently used; undefined when not held. */
  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Whether `key` is held, without counting as a use. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Holds `value` (of `bytes`) as the most recently used, evicting others until the total fits; false when too large. */
  set(key: K, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.maxBytes) return false;
    for (const [k, e] of this.entries) {
      if (this.total + bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    return true;
  }

  delete(key: K): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }

  /** Bytes held in all. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
