/**
 * Query times of one (device, rule) pair: an append-only Float64 buffer that keeps the newest `cap` times,
 * each with a tag (the id of the queried name), so per-name rates need no series of their own.
 */
export class TimeSeries {
  private buf = new Float64Array(256);
  private tagBuf = new Int32Array(256);
  private start = 0;
  private end = 0;
  /** Times dropped because the series exceeded its cap. */
  dropped = 0;
  private readonly cap: number;

  constructor(cap = 1_000_000) {
    this.cap = cap;
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Entries the buffers have room for. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Appends `ts`; times arrive in order, except across restarts and clock steps, which are sorted in. */
  push(ts: number, tag = 0): void {
    if (this.end === this.buf.length) this.grow();
    let i = this.end++;
    // Keep ascending order (rare out-of-order times are moved into place).
    while (i > this.start && this.buf[i - 1]! > ts) {
      this.buf[i] = this.buf[i - 1]!;
      this.tagBuf[i] = this.tagBuf[i - 1]!;
      i--;
    }
    this.buf[i] = ts;
    this.tagBuf[i] = tag;
    if (this.length > this.cap) {
      this.start++;
      this.dropped++;
    }
  }

  private grow(): void {
    const live = this.buf.subarray(this.start, this.end);
    const size = Math.max(256, Math.min(this.cap + 1, live.length) * 2);
    const next = new Float64Array(size);
    next.set(live);
    const tags = new Int32Array(size);
    tags.set(this.tagBuf.subarray(this.start, this.end));
    this.buf = next;
    this.tagBuf = tags;
    this.end = live.length;
    this.start = 0;
  }

  /**
   * Gives back the room beyond the times held and an eighth more (growth doubles, so after a history is read
   * up to half of the buffers can be unused). Nothing changes when that is less than 256 entries.
   */
  trim(): void {
    const n = this.length;
    const size = trimmedSize(n);
    if (this.buf.length - size < 256) return;
    const next = new Float64Array(size);
    next.set(this.buf.subarray(this.start, this.end));
    const tags = new Int32Array(size);
    tags.set(this.tagBuf.subarray(this.start, this.end));
    this.buf = next;
    this.tagBuf = tags;
    this.start = 0;
    this.end = n;
  }

  /** The times, ascending (a view: valid until the next push). */
  values(): Float64Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** The tags, in the order of values() (a view: valid until the next push). */
  tags(): Int32Array {
    return this.tagBuf.subarray(this.start, this.end);
  }

  first(): number {
    return this.length ? this.buf[this.start]! : 0;
  }

  last(): number {
    return this.length ? this.buf[this.end - 1]! : 0;
  }
}

/** The buffer size trim() leaves for `n` entries: an eighth more, at least 256. */
export function trimmedSize(n: number): number {
  return Math.max(256, n + Math.ceil(n / 8));
}
