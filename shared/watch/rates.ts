/**
 * Rates and periodicity of a series of query times, to say things like "every 1.0 s ± 0.1 s, ≈ 86,000 a day".
 * Pure; time is an input.
 */

export interface RateStats {
  readonly count: number;
  /** Epoch ms of the first and last query (0 when none). */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Queries per hour over the observation window. */
  readonly perHour: number;
  /** perHour × 24: what a day at this rate comes to. */
  readonly perDay: number;
  /** Median time between consecutive queries, ms (0 with fewer than 2 queries). */
  readonly medianIntervalMs: number;
  /** Spread of the intervals around their mean after trimming outliers (standard deviation, ms). */
  readonly jitterMs: number;
  /**
   * 0..1: 1 − coefficient of variation of the trimmed intervals. A timer-driven beacon scores near 1,
   * random (Poisson) arrivals near 0, bursts 0.
   */
  readonly regularity: number;
  /** Regular enough, and enough queries, to call it periodic. */
  readonly beacon: boolean;
}

/** Below this many intervals, regularity is not claimed. */
export const MIN_BEACON_INTERVALS = 10;
export const BEACON_REGULARITY = 0.7;
/** Share of intervals dropped at each end before measuring spread: a missed beat or a retry is not a pattern change. */
const TRIM = 0.05;

/**
 * Stats for ascending query times `ts` observed over `windowMs` (e.g. the capture's duration so far).
 * The window is at least the span of the series, so a rate is never inflated by a short window.
 */
export function rateStats(ts: ArrayLike<number>, windowMs: number): RateStats {
  const n = ts.length;
  if (n === 0)
    return {
      count: 0,
      firstTs: 0,
      lastTs: 0,
      perHour: 0,
      perDay: 0,
      medianIntervalMs: 0,
      jitterMs: 0,
      regularity: 0,
      beacon: false,
    };
  const first = ts[0]!;
  const last = ts[n - 1]!;
  const intervals = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) intervals[i - 1] = ts[i]! - ts[i - 1]!;
  intervals.sort();
  const median = intervals.length === 0 ? 0 : quantileSorted(intervals, 0.5);
  // The window covers the span plus one typical interval (n queries fill n intervals of time, not n − 1).
  const window = Math.max(windowMs, last - first + median, 1);
  const perHour = (n / window) * 3_600_000;
  const drop = Math.floor(intervals.length * TRIM);
  const kept = intervals.subarray(drop, intervals.length - drop);
  let mean = 0;
  for (const v of kept) mean += v;
  mean = kept.length ? mean / kept.length : 0;
  let variance = 0;
  for (const v of kept) variance += (v - mean) ** 2;
  const sd = kept.length > 1 ? Math.sqrt(variance / (kept.length - 1)) : 0;
  const regularity = mean > 0 && kept.length > 1 ? Math.max(0, Math.min(1, 1 - sd / mean)) : 0;
  return {
    count: n,
    firstTs: first,
    lastTs: last,
    perHour,
    perDay: perHour * 24,
    medianIntervalMs: median,
    jitterMs: sd,
    regularity,
    beacon: intervals.length >= MIN_BEACON_INTERVALS && regularity >= BEACON_REGULARITY,
  };
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** "every 1.0 s ± 0.1 s" for a beacon, "" otherwise. */
export function describeBeacon(s: RateStats): string {
  if (!s.beacon) return '';
  return `every ${duration(s.medianIntervalMs)} ± ${duration(s.jitterMs, s.medianIntervalMs)}`;
}

/** 1.0 s, 250 ms, 4.2 min, 1.5 h; `scale` picks the unit (so jitter uses the interval's unit). */
export function duration(ms: number, scale = ms): string {
  // Switch units a little early, so 999 ms reads "1.0 s" and 90 min "1.5 h".
  if (scale < 950) return `${Math.round(ms)} ms`;
  if (scale < 90_000) return `${(ms / 1000).toFixed(1)} s`;
  if (scale < 5_400_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export interface MarkerComparison {
  readonly before: { readonly count: number; readonly perHour: number; readonly windowMs: number };
  readonly after: { readonly count: number; readonly perHour: number; readonly windowMs: number };
  /** after.perHour / before.perHour − 1 (e.g. −0.95 for a 95 % drop); null when there is no "before" rate. */
  readonly change: number | null;
}

/**
 * Rate before and after a marker at `at`, each over its own window: [from, at) and [at, to).
 * `ts` ascending. Typically from = the previous marker or capture start, to = the next marker or now.
 */
export function compareAroundMarker(
  ts: ArrayLike<number>,
  at: number,
  from: number,
  to: number,
): MarkerComparison {
  let before = 0;
  let after = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t >= from && t < at) before++;
    else if (t >= at && t < to) after++;
  }
  const bw = Math.max(0, at - from);
  const aw = Math.max(0, to - at);
  const rate = (count: number, w: number) => (w > 0 ? (count / w) * 3_600_000 : 0);
  const b = { count: before, perHour: rate(before, bw), windowMs: bw };
  const a = { count: after, perHour: rate(after, aw), windowMs: aw };
  return { before: b, after: a, change: b.perHour > 0 ? a.perHour / b.perHour - 1 : null };
}

/** The first index in ascending `values` whose value is ≥ `target` (values.length when none is). */
export function lowerBound(values: ArrayLike<number>, target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
