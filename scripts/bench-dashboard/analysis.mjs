// Turns what the page and the servers recorded into the figures of one run: marker latencies, long
// tasks, the slowest frames' scripts. Pure functions over plain data, so they are easy to check by hand.
import { percentileSorted } from '../bench/stats.mjs';

/**
 * A row that arrived this much later than a marker is taken to be newer than it. The log orders rows by
 * seq (given when the answer is recorded), the page only sees arrival times: the margin keeps a row that
 * arrived just after the marker but was answered before it from counting. It can only add to a latency.
 */
export const NEWER_MARGIN_MS = 5;

/** Ascending, without NaN; Infinity (never happened) stays in and sorts last. */
const sortedNums = (xs) => xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);

/** p50, p95, max and count of `values` (ms); an Infinity counts as the slowest possible value. */
export function distribution(values) {
  const s = sortedNums(values);
  return {
    count: s.length,
    p50: percentileSorted(s, 50),
    p95: percentileSorted(s, 95),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/** First timeline time at which a row with arrival time ≥ `ts` was on screen; Infinity when never. */
function firstShowing(timeline, ts) {
  // The timeline only grows in both fields (the probe appends an update only when it shows newer rows).
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timeline[mid][1] >= ts) hi = mid;
    else lo = mid + 1;
  }
  return lo < timeline.length ? timeline[lo][0] : Infinity;
}

/**
 * Event-to-screen latency of every marker. `sent`: [{ name, sentAt }]; `recorded`: Map name → { ts, seq }
 * from the engine; `seen`: Map name → when the marker's own row reached the DOM; `timeline`: the probe's
 * [time, newest arrival time shown]. "onScreen" is when the log first showed the marker or a newer query
 * (a marker can scroll past unrendered within one update: at 2,000 queries/s one 200 ms batch adds ~400
 * rows and only the newest ~30 are in the DOM); "ownRow" only counts markers whose row was rendered.
 */
export function markerLatencies({ sent, recorded, seen, timeline }) {
  const onScreen = [];
  const ownRow = [];
  const perMarker = [];
  let notRecorded = 0;
  let neverShown = 0;
  for (const m of sent) {
    const own = seen.get(m.name);
    if (own !== undefined) ownRow.push(own - m.sentAt);
    const rec = recorded.get(m.name);
    const t = rec ? Math.min(own ?? Infinity, firstShowing(timeline, rec.ts + NEWER_MARGIN_MS)) : Infinity;
    perMarker.push({
      name: m.name,
      sentAt: m.sentAt,
      arrivedAt: rec?.ts ?? null,
      ownRowMs: own === undefined ? null : own - m.sentAt,
      onScreenMs: t === Infinity ? null : t - m.sentAt,
    });
    if (!rec) notRecorded++;
    else {
      if (t === Infinity) neverShown++;
      // A marker never shown weighs in as infinitely late, so it cannot improve the percentiles.
      onScreen.push(t - m.sentAt);
    }
  }
  return {
    sent: sent.length,
    notRecorded,
    neverShown,
    onScreen: distribution(onScreen),
    ownRow: distribution(ownRow),
    ownRowMissing: sent.length - ownRow.length,
    perMarker,
  };
}

/** Long tasks ([start epoch ms, duration]) that started in [from, to): counts over 50 and 100 ms, longest. */
export function longTaskSummary(tasks, from, to) {
  const inside = tasks.filter(([start]) => start >= from && start < to).map(([, d]) => d);
  return {
    count: inside.length,
    over50: inside.filter((d) => d > 50).length,
    over100: inside.filter((d) => d > 100).length,
    longest: inside.length ? Math.max(...inside) : 0,
    totalMs: inside.reduce((a, b) => a + b, 0),
  };
}

/**
 * The scripts that ran in long animation frames over `minMs` in [from, to), summed by what ran them:
 * [{ what, frames, ms }], most time first. `what` names the invoker and the function with its location:
 * `locate(url, char)` maps it to a source line when it can (readable builds), else the bundle offset.
 */
export function slowFrameScripts(frames, from, to, { minMs = 100, limit = 8, locate = () => null } = {}) {
  const by = new Map();
  let count = 0;
  let renderMs = 0;
  for (const f of frames) {
    if (f.start < from || f.start >= to || f.duration <= minMs) continue;
    count++;
    renderMs += f.styleLayout;
    for (const s of f.scripts) {
      const where = locate(s.url, s.char) ?? (s.url ? `${s.url.replace(/^.*\//, '')}:${s.char}` : '');
      const what = `${s.invoker}${s.fn ? ` → ${s.fn}` : ''}${where ? ` (${where})` : ''}`;
      const e = by.get(what) ?? { what, frames: 0, ms: 0, layoutMs: 0 };
      e.frames++;
      e.ms += s.duration;
      e.layoutMs += s.layout;
      by.set(what, e);
    }
  }
  const top = [...by.values()].sort((a, b) => b.ms - a.ms).slice(0, limit);
  return { frames: count, styleLayoutMs: renderMs, top };
}
