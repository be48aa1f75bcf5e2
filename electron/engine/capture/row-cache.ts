/**
 * Least recently used values up to a total of bytes: the rows of stopped captures, read back from their
 * journals when a reader needs them. A value larger than the whole budget is not kept (its reader holds it
 * while it works); adding one evicts the least recently used until the rest fits.
 */
export class ByteLru<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>();
  private total = 0;

  /** `onEvict` sees each value that leaves (evicted, deleted or replaced). */
  constructor(
    readonly maxBytes: number,
    private readonly onEvict: (value: V) => void = () => undefined,
  ) {}

  /** Evicts the least recently used until `bytes` more fit; nothing when they could never fit. */
  reserve(bytes: number): void {
    if (bytes > this.maxBytes) return;
    for (const [k, e] of this.entries) {
      if (this.total + bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
      this.onEvict(e.value);
    }
  }

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
    const held = this.entries.get(key);
    if (held !== undefined && held.value === value) {
      // The same value again: not evicted, only its size and place change.
      this.entries.delete(key);
      this.total -= held.bytes;
    } else this.delete(key);
    if (bytes > this.maxBytes) return false;
    this.reserve(bytes);
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    return true;
  }

  delete(key: K): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.total -= e.bytes;
    this.onEvict(e.value);
  }

  /** Bytes held in all. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
