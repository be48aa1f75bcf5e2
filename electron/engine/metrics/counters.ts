/**
 * Counters with a bounded number of series. A label value keeps the series it got when first seen, so every
 * series only ever grows (a counter that moved to "other" when a device fell out of a top list would go
 * down); what comes after the limit is counted under OTHER.
 */
import type { HistogramSample, Sample } from './exposition';

/** The label value of everything beyond the limit. */
export const OTHER = 'other';

/** One counter per key for the first `max` keys (priority keys: `max + extra`), the rest under OTHER. */
export class BoundedCounters {
  private readonly counts = new Map<string, { n: number }>();
  private other = 0;

  constructor(
    private readonly max: number,
    private readonly extra = 0,
  ) {}

  /** Adds `n` to `key`'s counter. `priority` is asked only for a key without a series yet. */
  add(key: string, n = 1, priority?: () => boolean): void {
    const c = this.counts.get(key);
    if (c) {
      c.n += n;
      return;
    }
    const size = this.counts.size;
    if (size < this.max || (size < this.max + this.extra && priority?.() === true))
      this.counts.set(key, { n });
    else this.other += n;
  }

  /** Every series as samples, keys split into labels by `labels`; OTHER last, when it counted anything. */
  samples(
    labels: (key: string) => Readonly<Record<string, string>>,
    other: Readonly<Record<string, string>>,
  ) {
    const out: Sample[] = [];
    for (const [key, c] of this.counts) out.push({ labels: labels(key), value: c.n });
    if (this.other > 0) out.push({ labels: other, value: this.other });
    return out;
  }
}

/** Histograms per key with fixed bucket bounds, bounded like BoundedCounters. */
export class BoundedHistograms {
  private readonly series = new Map<string, { buckets: Float64Array; sum: number }>();

  constructor(
    readonly bounds: readonly number[],
    private readonly max: number,
  ) {}

  observe(key: string, value: number): void {
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.max) key = OTHER;
      s = this.series.get(key);
      if (!s) {
        s = { buckets: new Float64Array(this.bounds.length + 1), sum: 0 };
        this.series.set(key, s);
      }
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.buckets[i]! += 1;
    s.sum += value;
  }

  samples(label: string): HistogramSample[] {
    return [...this.series].map(([key, s]) => ({
      labels: { [label]: key },
      bounds: this.bounds,
      buckets: s.buckets,
      sum: s.sum,
    }));
  }
}

/**
 * Totals read from counters that may start again from zero (a forwarder replaced by a settings change):
 * a value lower than the last one read means a restart, and what was counted before is carried on.
 */
export class CarriedTotals {
  private readonly seen = new Map<string, { last: number; carried: number }>();

  /** The total for `key` given its counter's current `value`. */
  total(key: string, value: number): number {
    let s = this.seen.get(key);
    if (!s) {
      s = { last: 0, carried: 0 };
      this.seen.set(key, s);
    }
    if (value < s.last) s.carried += s.last;
    s.last = value;
    return s.carried + value;
  }
}
