/**
 * Turns per-minute buckets into the bounded, pre-bucketed points the charts draw. The series model is a
 * list of definitions with a `kind`, so highlighted series (e.g. watchlist matches) can join later.
 */
import type { CaptureInfo } from '@shared/events';
import { MINUTE_MS, minuteOf } from '@shared/time';
import type { DeviceTotals, MinuteCounts } from './dashboard-state';

export type RangeKey = '15m' | '1h' | '24h' | 'capture';

export const RANGES: readonly { readonly key: RangeKey; readonly label: string; readonly minutes: number }[] =
  [
    { key: '15m', label: '15 min', minutes: 15 },
    { key: '1h', label: '1 h', minutes: 60 },
    { key: '24h', label: '24 h', minutes: 24 * 60 },
    { key: 'capture', label: 'Whole capture', minutes: 0 },
  ];

/** Snapshots always cover at least this much, so switching between the fixed ranges needs no reload. */
export const MIN_SNAPSHOT_MINUTES = 24 * 60;
/** Points drawn at most; longer windows are summed into wider steps. */
export const MAX_POINTS = 720;
/** Series drawn at most when no device is selected; the rest are summed into "Other". */
export const MAX_SERIES = 8;
/** Shortest window drawn, so a capture a minute old still gives a readable chart. */
const MIN_WINDOW_MINUTES = 15;

/** Minute-aligned half-open interval [from, to) in epoch ms. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
  /**
   * The window ends at the live edge (the minute after now) and moves with the clock. The lists and exports
   * leave its end open: `to` follows a clock read once a second, and a query answered in the first moments
   * of a new minute must not be left out of a CSV exported then.
   */
  readonly live?: boolean;
}

/** The capture "whole capture" refers to: the running one, else the one started last; null when none. */
export function currentCapture(captures: readonly CaptureInfo[]): CaptureInfo | null {
  let best: CaptureInfo | null = null;
  for (const c of captures) {
    if (c.state === 'running') return c;
    if (!best || c.startedAt > best.startedAt) best = c;
  }
  return best;
}

/** The window a range shows at `now`; "whole capture" falls back to all buckets held when there is no capture. */
export function rangeWindow(
  range: RangeKey,
  now: number,
  captures: readonly CaptureInfo[],
  firstMinute: number | undefined,
): TimeWindow {
  let to = minuteOf(now) + MINUTE_MS;
  const fixed = RANGES.find((r) => r.key === range);
  if (fixed && fixed.minutes > 0) return { from: to - fixed.minutes * MINUTE_MS, to, live: true };
  let from = firstMinute ?? to;
  let live = true;
  const capture = currentCapture(captures);
  if (capture) {
    from = minuteOf(capture.startedAt);
    if (capture.state === 'stopped' && capture.stoppedAt > 0) {
      to = minuteOf(capture.stoppedAt) + MINUTE_MS;
      live = false;
    }
  }
  return { from: Math.min(from, to - MIN_WINDOW_MINUTES * MINUTE_MS), to, live };
}

/** A capture younger than this is shown whole by default, so its data is not squeezed into an edge. */
export const AUTO_RANGE_MINUTES = 15;

/**
 * The range shown until the user picks one: the whole capture (at least 15 minutes wide) while there are
 * fewer than 15 minutes of data since `since` (the capture's start, else the first data), then 1 h.
 */
export function autoRange(since: number | undefined, now: number): RangeKey {
  return since === undefined || now - since < AUTO_RANGE_MINUTES * MINUTE_MS ? 'capture' : '1h';
}

/** How many minutes of buckets a snapshot must cover for `window` to be drawn at `now`. */
export function snapshotMinutesFor(window: TimeWindow, now: number): number {
  const minutes = Math.ceil((minuteOf(now) + MINUTE_MS - window.from) / MINUTE_MS);
  return Math.max(MIN_SNAPSHOT_MINUTES, minutes);
}

/** Stacked device areas, the rest summed, and the watchlist drawn over them (not stacked). */
export type SeriesKind = 'device' | 'other' | 'watch-router' | 'watch-other';

/** One stacked series; `key` is a plain identifier because chart libraries read dots as paths. */
export interface SeriesDef {
  readonly key: string;
  readonly label: string;
  readonly color: string;
  readonly kind: SeriesKind;
  /** Client addresses summed into this series. */
  readonly clients: readonly string[];
  /** The series is the router's. */
  readonly router: boolean;
}

/** One point: `t` is the step's start (epoch ms); every series key holds queries per minute. */
export type ChartPoint = { readonly t: number } & { readonly [seriesKey: string]: number };

export interface ChartModel {
  readonly window: TimeWindow;
  /** Minutes per point; values are averages per minute over the step. */
  readonly stepMinutes: number;
  readonly series: readonly SeriesDef[];
  readonly points: readonly ChartPoint[];
  /** Queries in the window across the drawn device series. */
  readonly total: number;
  /** Watched queries of the drawn devices in the window (the overlay's total); 0 without an overlay. */
  readonly watched: number;
}

/**
 * Series colors, as CSS variables (renderer/src/styles.css) with a value for each theme, so the chart, the
 * legend and the PNG follow the theme on screen; each stands out 3:1 or more from the chart's background
 * (e2e/theme.spec.ts measures it).
 */
export const PALETTE: readonly string[] = Array.from({ length: 10 }, (_, i) => `var(--series-${i})`);
export const OTHER_COLOR = 'var(--series-other)';
/** The router's watchlist traffic: the loudest color on the chart. */
export const WATCH_ROUTER_COLOR = 'var(--watch-router)';
export const WATCH_OTHER_COLOR = 'var(--watch-other)';

/** The palette color for a device's color slot. */
export function deviceColor(colorIndex: number): string {
  return PALETTE[colorIndex % PALETTE.length] ?? OTHER_COLOR;
}

export interface BuildChartInput {
  readonly counts: MinuteCounts;
  readonly window: TimeWindow;
  readonly devices: readonly DeviceTotals[];
  /** Draw only this client; null draws every device. */
  readonly selected: string | null;
  /** Series label per client address (see deviceLabels); the address where missing. */
  readonly labels?: ReadonlyMap<string, string>;
  /** Addresses of the router, whose series are marked. */
  readonly routers?: ReadonlySet<string>;
  /**
   * Watched queries per minute and client: drawn over the device areas as "watchlist (router)" and
   * "watchlist (other devices)" series, for the drawn devices only.
   */
  readonly watch?: MinuteCounts;
  readonly maxSeries?: number;
  readonly maxPoints?: number;
}

/** Builds at most `maxPoints` points for at most `maxSeries` series. Pure; never throws. */
export function buildChart(input: BuildChartInput): ChartModel {
  const { counts, window } = input;
  const maxSeries = Math.max(1, input.maxSeries ?? MAX_SERIES);
  const maxPoints = Math.max(1, input.maxPoints ?? MAX_POINTS);
  const minutes = Math.max(1, Math.round((window.to - window.from) / MINUTE_MS));
  const stepMinutes = Math.ceil(minutes / maxPoints);

  // Queries per client inside the window decide which devices get their own series.
  const inWindow = new Map<string, number>();
  for (let m = window.from; m < window.to; m += MINUTE_MS) {
    const bucket = counts.get(m);
    if (!bucket) continue;
    for (const [client, n] of bucket) inWindow.set(client, (inWindow.get(client) ?? 0) + n);
  }
  const byAddress = new Map(input.devices.map((d) => [d.address, d]));
  let candidates = input.devices
    .filter((d) =>
      input.selected === null ? (inWindow.get(d.address) ?? 0) > 0 : d.address === input.selected,
    )
    .sort(
      (a, b) =>
        (inWindow.get(b.address) ?? 0) - (inWindow.get(a.address) ?? 0) || a.colorIndex - b.colorIndex,
    );
  if (input.selected !== null && candidates.length === 0) {
    candidates = [{ address: input.selected, queries: 0, firstSeen: 0, lastSeen: 0, colorIndex: 0 }];
  }
  const own = candidates.length > maxSeries ? candidates.slice(0, maxSeries - 1) : candidates;
  const series: SeriesDef[] = own.map((d, i) => ({
    key: `s${i}`,
    label: input.labels?.get(d.address) ?? d.address,
    color: deviceColor(byAddress.get(d.address)?.colorIndex ?? d.colorIndex),
    kind: 'device',
    clients: [d.address],
    router: input.routers?.has(d.address) ?? false,
  }));
  const rest = candidates.slice(own.length).map((d) => d.address);
  if (rest.length > 0) {
    series.push({
      key: 'other',
      label: `${rest.length} other devices`,
      color: OTHER_COLOR,
      kind: 'other',
      clients: rest,
      router: false,
    });
  }

  const seriesOf = new Map<string, string>();
  for (const s of series) for (const c of s.clients) seriesOf.set(c, s.key);
  // The watchlist overlay covers the devices drawn; the router's part and the others' part separately.
  const watchOf = new Map<string, string>();
  if (input.watch) {
    for (const s of series)
      for (const c of s.clients) watchOf.set(c, input.routers?.has(c) ? WATCH_ROUTER_KEY : WATCH_OTHER_KEY);
  }
  const watchTotals: Record<string, number> = { [WATCH_ROUTER_KEY]: 0, [WATCH_OTHER_KEY]: 0 };
  const points: ChartPoint[] = [];
  let total = 0;
  for (let start = window.from; start < window.to; start += stepMinutes * MINUTE_MS) {
    const sums: Record<string, number> = {};
    for (const s of series) sums[s.key] = 0;
    if (input.watch) {
      sums[WATCH_ROUTER_KEY] = 0;
      sums[WATCH_OTHER_KEY] = 0;
    }
    const end = Math.min(window.to, start + stepMinutes * MINUTE_MS);
    for (let m = start; m < end; m += MINUTE_MS) {
      const bucket = counts.get(m);
      if (bucket) {
        for (const [client, n] of bucket) {
          const key = seriesOf.get(client);
          if (key === undefined) continue;
          sums[key] = (sums[key] ?? 0) + n;
          total += n;
        }
      }
      const watched = input.watch?.get(m);
      if (!watched) continue;
      for (const [client, n] of watched) {
        const key = watchOf.get(client);
        if (key === undefined) continue;
        sums[key] = (sums[key] ?? 0) + n;
        watchTotals[key] = (watchTotals[key] ?? 0) + n;
      }
    }
    if (stepMinutes > 1) for (const key of Object.keys(sums)) sums[key] = (sums[key] ?? 0) / stepMinutes;
    points.push({ ...sums, t: start });
  }
  const routerWatched = watchTotals[WATCH_ROUTER_KEY] ?? 0;
  const otherWatched = watchTotals[WATCH_OTHER_KEY] ?? 0;
  const single = input.selected !== null;
  if (routerWatched > 0)
    series.push({
      key: WATCH_ROUTER_KEY,
      label: single ? 'Watchlist' : 'Watchlist (router)',
      color: WATCH_ROUTER_COLOR,
      kind: 'watch-router',
      clients: [...watchOf].filter(([, k]) => k === WATCH_ROUTER_KEY).map(([c]) => c),
      router: true,
    });
  if (otherWatched > 0)
    series.push({
      key: WATCH_OTHER_KEY,
      label: single ? 'Watchlist' : 'Watchlist (other devices)',
      color: WATCH_OTHER_COLOR,
      kind: 'watch-other',
      clients: [...watchOf].filter(([, k]) => k === WATCH_OTHER_KEY).map(([c]) => c),
      router: false,
    });
  return { window, stepMinutes, series, points, total, watched: routerWatched + otherWatched };
}

/** Point keys of the watchlist overlay series. */
export const WATCH_ROUTER_KEY = 'wr';
export const WATCH_OTHER_KEY = 'wo';

/** Queries per minute of one client over the last `minutes` minutes up to `now`, oldest first. */
export function sparkline(counts: MinuteCounts, client: string, now: number, minutes = 30): number[] {
  const out: number[] = [];
  const last = minuteOf(now);
  for (let m = last - (minutes - 1) * MINUTE_MS; m <= last; m += MINUTE_MS)
    out.push(counts.get(m)?.get(client) ?? 0);
  return out;
}

const TICK_STEPS_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

/**
 * Round-time ticks for `window` (epoch ms), at most `maxTicks`, aligned to the local clock by
 * `offsetMinutes` (east of UTC), so labels read 14:00, 14:15, … Given explicitly, the chart does not need
 * to measure every candidate label.
 */
export function timeTicks(window: TimeWindow, maxTicks: number, offsetMinutes: number): number[] {
  const span = (window.to - window.from) / MINUTE_MS;
  const step =
    TICK_STEPS_MINUTES.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / 1440) * 1440;
  const stepMs = step * MINUTE_MS;
  const offsetMs = offsetMinutes * MINUTE_MS;
  const ticks: number[] = [];
  for (let t = Math.ceil((window.from + offsetMs) / stepMs) * stepMs - offsetMs; t <= window.to; t += stepMs)
    ticks.push(t);
  return ticks;
}
