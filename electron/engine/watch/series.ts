/** Query times of one (device, rule) pair: an append-only Float64 buffer that keeps the newest `cap` times. */
export class TimeSeries {
  private buf = new Float64Array(256);
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

  /** Appends `ts`; times arrive in order, except across restarts and clock steps, which are sorted in. */
  push(ts: number): void {
    if (this.end === this.buf.length) this.grow();
    let i = this.end++;
    // Keep ascending order (rare out-of-order times are moved into place).
    while (i > this.start && this.buf[i - 1]! > ts) {
      this.buf[i] = this.buf[i - 1]!;
      i--;
    }
    this.buf[i] = ts;
    if (this.length > this.cap) {
      this.start++;
      this.dropped++;
    }
  }

  private grow(): void {
    const live = this.buf.subarray(this.start, this.end);
    const next = new Float64Array(Math.max(256, Math.min(this.cap + 1, live.length) * 2));
    next.set(live);
    this.buf = next;
    this.end = live.length;
    this.start = 0;
  }

  /** The times, ascending (a view: valid until the next push). */
  values(): Float64Array {
    return this.buf.subarray(this.start, this.end);
  }

  first(): number {
    return this.length ? this.buf[this.start]! : 0;
  }

  last(): number {
    return this.length ? this.buf[this.end - 1]! : 0;
  }
}
