/**
 * Beacons and before/after comparisons of a series of lookup times, to say things like "every 1.0 s ± 0.1 s"
 * and "−95 % after “HomeShield switched off”". The rate itself is lookup-rate.ts's. Pure; time is an input.
 */
import { lookupsPerHour, MIN_RATE_LOOKUPS, type LookupRate } from './lookup-rate';

/** "every 1.0 s ± 0.1 s" for a beacon, "" otherwise. */
export function describeBeacon(s: Pick<LookupRate, 'beacon' | 'medianIntervalMs' | 'spreadMs'>): string {
  if (!s.beacon) return '';
  return `every ${duration(s.medianIntervalMs)} ± ${duration(s.spreadMs, s.medianIntervalMs)}`;
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
  /**
   * after.perHour / before.perHour − 1 (e.g. −0.95 for a 95 % drop); null when there is no "before" rate
   * or while waiting (waitMs > 0).
   */
  readonly change: number | null;
  /**
   * How much longer the "after" window must grow before it could hold MIN_RATE_LOOKUPS lookups at the
   * "before" rate, ms; 0 once it could (or without a before rate). Until then no effect is claimed.
   */
  readonly waitMs: number;
}

/**
 * Rate before and after a marker at `at`, each over its own window: [from, at) and [at, to).
 * `ts` ascending. Typically from = the previous marker or capture start, to = the next marker or the end of
 * the recording (now while it runs: time without a capture running must not count as a silent "after").
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
  const b = { count: before, perHour: lookupsPerHour(before, bw), windowMs: bw };
  const a = { count: after, perHour: lookupsPerHour(after, aw), windowMs: aw };
  // At the before rate, MIN_RATE_LOOKUPS lookups take this long: a shorter "after" cannot show a change.
  const needMs = before > 0 ? (MIN_RATE_LOOKUPS * bw) / before : 0;
  const waitMs = Math.max(0, Math.ceil(needMs - aw));
  const change = b.perHour > 0 && waitMs === 0 ? a.perHour / b.perHour - 1 : null;
  return { before: b, after: a, change, waitMs };
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

/** What a marker changed, in one word: see markerOutcome. */
export type MarkerOutcome = 'waiting' | 'no-before' | 'same' | 'fewer' | 'more' | 'stopped';

/**
 * Did the rate change after the marker beyond chance? The count after it is compared with what the rate
 * before would give in the same time: within two standard deviations of that expectation (Poisson, √n) it
 * is "the same rate"; no lookup at all where ten were due is "stopped".
 */
export function markerOutcome(c: Pick<MarkerComparison, 'before' | 'after' | 'waitMs'>): MarkerOutcome {
  if (c.before.count === 0 || c.before.windowMs <= 0) return 'no-before';
  if (c.waitMs > 0) return 'waiting';
  const expected = (c.before.count / c.before.windowMs) * c.after.windowMs;
  if (c.after.count === 0) return 'stopped';
  const band = 2 * Math.sqrt(expected);
  if (Math.abs(c.after.count - expected) <= band) return 'same';
  return c.after.count < expected ? 'fewer' : 'more';
}
