/**
 * The one definition of a watched lookup rate. The banner, the watchlist panel, the PNG, summary.json,
 * report.html and /api/summary all state the figures `lookupRate` returns, worded by the functions below,
 * so one router never gets two rates. Pure; time is an input.
 *
 * The rate is taken over the device's own span, from its first to its last lookup: n lookups there are
 * n − 1 intervals, so one lookup a second comes to 86,400 a day however late in the capture the device
 * started. The capture's span is carried beside it, so every sentence can say what the rate is based on.
 */
import { HOUR_MS } from '@shared/time';

/** Fewer lookups than this, or a shorter span than MIN_RATE_SPAN_MS, is "too early to tell". */
export const MIN_RATE_LOOKUPS = 10;
export const MIN_RATE_SPAN_MS = 10 * 60_000;
/** Below this many intervals, regularity is not claimed. */
export const MIN_BEACON_INTERVALS = 10;
export const BEACON_REGULARITY = 0.7;
/** Share of intervals dropped at each end before measuring spread: a missed beat or a retry is not a pattern change. */
const TRIM = 0.05;

export interface LookupRate {
  /** Lookups counted. */
  readonly count: number;
  /** Epoch ms of the first and last lookup (0 when none). */
  readonly firstTs: number;
  readonly lastTs: number;
  /** lastTs − firstTs: the span the rate is taken over. */
  readonly spanMs: number;
  /** The recording time the lookups fall in (the captures' running time), for context. */
  readonly captureSpanMs: number;
  /** Lookups per hour over spanMs; null while it is too early to tell (see rateIsKnown). */
  readonly perHour: number | null;
  /** perHour × 24; null with perHour. */
  readonly perDay: number | null;
  /** spanMs / (count − 1): one lookup every this long on average, the interval perDay agrees with (0 below 2). */
  readonly meanIntervalMs: number;
  /** Median time between consecutive lookups, ms (0 below 2 lookups). */
  readonly medianIntervalMs: number;
  /** Spread of the intervals (standard deviation after trimming outliers), ms. */
  readonly spreadMs: number;
  /**
   * 0..1: 1 − coefficient of variation of the trimmed intervals. A timer-driven beacon scores near 1,
   * random (Poisson) arrivals near 0, bursts 0.
   */
  readonly regularity: number;
  /** Regular enough, and enough lookups, to call it periodic. */
  readonly beacon: boolean;
}

/** Lookups per hour when `intervals` intervals fill `spanMs` (0 for an empty span). */
export function lookupsPerHour(intervals: number, spanMs: number): number {
  return spanMs > 0 ? (Math.max(0, intervals) / spanMs) * HOUR_MS : 0;
}

/**
 * The figures of ascending lookup times `ts` (one rule, one device or several): count, span, rate per hour
 * and per day over the span (null below MIN_RATE_LOOKUPS lookups or MIN_RATE_SPAN_MS), mean and median
 * interval, spread, regularity. `captureSpanMs` is the recording time they fall in. Never throws.
 */
export function lookupRate(ts: ArrayLike<number>, captureSpanMs: number): LookupRate {
  const n = ts.length;
  const first = n > 0 ? ts[0]! : 0;
  const last = n > 0 ? ts[n - 1]! : 0;
  const spanMs = Math.max(0, last - first);
  const intervals = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) intervals[i - 1] = ts[i]! - ts[i - 1]!;
  intervals.sort();
  const median = intervals.length === 0 ? 0 : quantileSorted(intervals, 0.5);
  const drop = Math.floor(intervals.length * TRIM);
  const kept = intervals.subarray(drop, intervals.length - drop);
  let mean = 0;
  for (const v of kept) mean += v;
  mean = kept.length ? mean / kept.length : 0;
  let variance = 0;
  for (const v of kept) variance += (v - mean) ** 2;
  const sd = kept.length > 1 ? Math.sqrt(variance / (kept.length - 1)) : 0;
  const regularity = mean > 0 && kept.length > 1 ? Math.max(0, Math.min(1, 1 - sd / mean)) : 0;
  const known = n >= MIN_RATE_LOOKUPS && spanMs >= MIN_RATE_SPAN_MS;
  const perHour = known ? lookupsPerHour(n - 1, spanMs) : null;
  return {
    count: n,
    firstTs: first,
    lastTs: last,
    spanMs,
    captureSpanMs: Math.max(captureSpanMs, spanMs),
    perHour,
    perDay: perHour === null ? null : perHour * 24,
    meanIntervalMs: n > 1 ? spanMs / (n - 1) : 0,
    medianIntervalMs: median,
    spreadMs: sd,
    regularity,
    beacon: intervals.length >= MIN_BEACON_INTERVALS && regularity >= BEACON_REGULARITY,
  };
}

/** True when `r` has a rate to state; false while it is too early to tell. */
export function rateIsKnown(r: LookupRate): r is LookupRate & { perHour: number; perDay: number } {
  return r.perHour !== null && r.perDay !== null;
}

/** Ascending times merged from ascending parts (a new array; linear per part, no sort). */
export function mergeTimes(parts: readonly ArrayLike<number>[]): Float64Array {
  let out: Float64Array = Float64Array.from(parts[0] ?? []);
  for (let k = 1; k < parts.length; k++) {
    const b = parts[k]!;
    const merged = new Float64Array(out.length + b.length);
    let i = 0;
    let j = 0;
    let m = 0;
    while (i < out.length && j < b.length) merged[m++] = out[i]! <= b[j]! ? out[i++]! : b[j++]!;
    while (i < out.length) merged[m++] = out[i++]!;
    while (j < b.length) merged[m++] = b[j++]!;
    out = merged;
  }
  return out;
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

// The wording. Fixed to en-US, so the dashboard, the PNG and the report print the same characters.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** What a rate reads when there is too little to project from. */
export const TOO_EARLY = 'too early to tell';

/** "1,234" */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? integer.format(Math.round(n)) : '–';
}

/** A projection to three significant digits: 88,823 → "88,800"; small numbers stay exact. */
export function formatApprox(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) < 1000) return formatCount(n);
  const step = 10 ** (Math.floor(Math.log10(Math.abs(n))) - 2);
  return formatCount(Math.round(n / step) * step);
}

/** "45 s", "20 min", "2.5 h", "3.0 days": how long something was observed. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 s';
  const s = ms / 1000;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  const m = s / 60;
  if (m < 90) return `${Math.round(m)} min`;
  const h = m / 60;
  if (h < 48) return `${oneDecimal.format(h)} h`;
  return `${oneDecimal.format(h / 24)} days`;
}

/** An interval to three significant digits: "1.03 s", "250 ms", "12.5 s", "4.2 min". */
export function formatInterval(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  if (ms < 950) return `${Math.round(ms)} ms`;
  if (ms < 9_995) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 90_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 5_400_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / HOUR_MS).toFixed(1)} h`;
}

/** "≈ 83,900 a day", or "too early to tell". */
export function perDayText(r: LookupRate): string {
  return rateIsKnown(r) ? `≈ ${formatApprox(r.perDay)} a day` : TOO_EARLY;
}

/** "3,600/h", "0.5/h", or "too early to tell". */
export function perHourText(r: LookupRate): string {
  return rateIsKnown(r) ? formatPerHourValue(r.perHour) : TOO_EARLY;
}

/** "3,600/h", "45/h", "0.5/h" for a number of lookups per hour. */
export function formatPerHourValue(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return `${n >= 10 || n === 0 ? formatCount(n) : oneDecimal.format(n)}/h`;
}

/** "one every 1.03 s" (the mean interval the daily figure agrees with), or "" without a rate. */
export function meanIntervalText(r: LookupRate): string {
  return rateIsKnown(r) ? `one every ${formatInterval(r.meanIntervalMs)}` : '';
}

/** "≈ 83,900 a day, one every 1.03 s", or "too early to tell". */
export function rateText(r: LookupRate): string {
  return rateIsKnown(r) ? `${perDayText(r)}, ${meanIntervalText(r)}` : TOO_EARLY;
}

/** Why a rate is not stated yet: "a daily rate needs at least 10 lookups over 10 min; so far 12 over 11 s". */
export function tooEarlyReason(r: LookupRate): string {
  return (
    `a daily rate needs at least ${MIN_RATE_LOOKUPS} lookups over ${formatSpan(MIN_RATE_SPAN_MS)}; ` +
    `so far ${formatCount(r.count)} over ${formatSpan(r.spanMs)}`
  );
}

/**
 * "in 70 min (of 75 min recorded)": the span the figures are taken over, and the capture's where it reads
 * differently; a single lookup has no span of its own, so the capture's alone.
 */
export function spanText(r: LookupRate): string {
  const capture = formatSpan(r.captureSpanMs);
  if (r.count <= 1) return `in ${capture}`;
  const own = formatSpan(r.spanMs);
  return own === capture ? `in ${own}` : `in ${own} (of ${capture} recorded)`;
}
