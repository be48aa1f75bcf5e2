import { describe, expect, it } from 'vitest';
import {
  formatInterval,
  lookupRate,
  mergeTimes,
  MIN_RATE_SPAN_MS,
  rateText,
  spanText,
  tooEarlyReason,
  TOO_EARLY,
} from './lookup-rate';
import { describeBeacon } from './rates';

/** A deterministic pseudo-random source, so the synthetic timelines are the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const MIN = 60_000;

/** One lookup every `everyMs` (± jitter/2) from `from` for `count` lookups. */
function beacon(from: number, count: number, everyMs: number, jitter = 0, seed = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => from + i * everyMs + (r() - 0.5) * jitter).sort(
    (a, b) => a - b,
  );
}

describe('lookupRate', () => {
  it('a 1 s beacon comes to 86,400 a day ± 1 %, and the interval it states agrees', () => {
    const ts = beacon(T0, 1200, 1000, 200);
    const r = lookupRate(ts, 20 * MIN);
    expect(r.count).toBe(1200);
    expect(Math.abs(r.perDay! / 86_400 - 1)).toBeLessThan(0.01);
    expect(r.perHour! * 24).toBe(r.perDay);
    // perDay and the mean interval are the same figure: 86,400,000 ms a day / interval.
    expect(86_400_000 / r.meanIntervalMs).toBeCloseTo(r.perDay!, 6);
    expect(r.medianIntervalMs).toBeGreaterThan(950);
    expect(r.medianIntervalMs).toBeLessThan(1050);
    expect(r.beacon).toBe(true);
    expect(describeBeacon(r)).toMatch(/^every 1\.0 s ± 0\.[01] s$/);
    expect(rateText(r)).toMatch(/^≈ 86,[3-5]00 a day, one every 1\.00 s$/);
  });

  it('a router that starts two minutes into a capture is rated over its own span, not the capture’s', () => {
    const capture = 20 * MIN;
    const ts = beacon(T0 + 2 * MIN, 18 * 60, 1000);
    const r = lookupRate(ts, capture);
    expect(r.firstTs).toBe(T0 + 2 * MIN);
    expect(r.spanMs).toBe((18 * 60 - 1) * 1000);
    expect(r.captureSpanMs).toBe(capture);
    expect(r.perDay).toBeCloseTo(86_400, 6);
    expect(spanText(r)).toBe('in 18 min (of 20 min recorded)');
    // The old projection (count over the capture) said 77,760 a day.
    expect(rateText(r)).toBe('≈ 86,400 a day, one every 1.00 s');
  });

  it('is too early to tell below ten lookups or ten minutes', () => {
    // The banner once read "18 times in 46 s, ≈ 33,600 a day" for a router asking for 19 s.
    const early = lookupRate(beacon(T0 + 27_000, 18, 1000), 46_000);
    expect(early).toMatchObject({
      count: 18,
      spanMs: 17_000,
      captureSpanMs: 46_000,
      perHour: null,
      perDay: null,
    });
    expect(rateText(early)).toBe(TOO_EARLY);
    expect(tooEarlyReason(early)).toBe(
      'a daily rate needs at least 10 lookups over 10 min; so far 18 over 17 s',
    );
    expect(spanText(early)).toBe('in 17 s (of 46 s recorded)');
    // Nine lookups over an hour: still counted, not projected.
    expect(lookupRate(beacon(T0, 9, 7 * MIN), 3_600_000).perDay).toBeNull();
    // Ten lookups spanning exactly the minimum: a rate.
    const ten = lookupRate(beacon(T0, 10, MIN_RATE_SPAN_MS / 9), MIN_RATE_SPAN_MS);
    expect(ten.perHour).toBeCloseTo(54, 6);
  });

  it('random (Poisson) arrivals at the same average rate are not a beacon', () => {
    const r = rng(2);
    const ts: number[] = [];
    let t = T0;
    for (let i = 0; i < 1200; i++) {
      t += -Math.log(1 - r()) * 1000;
      ts.push(t);
    }
    const s = lookupRate(ts, t - T0);
    expect(s.regularity).toBeLessThan(0.3);
    expect(s.beacon).toBe(false);
    expect(s.perHour).toBeGreaterThan(3000);
    expect(s.perHour).toBeLessThan(4200);
    expect(describeBeacon(s)).toBe('');
  });

  it('bursts (10 queries 10 ms apart every minute) are not a beacon', () => {
    const ts: number[] = [];
    for (let b = 0; b < 30; b++) for (let i = 0; i < 10; i++) ts.push(T0 + b * MIN + i * 10);
    const s = lookupRate(ts, 30 * MIN);
    expect(s.beacon).toBe(false);
    expect(s.regularity).toBeLessThan(0.2);
    // 299 intervals over 29 min.
    expect(s.perHour).toBeCloseTo((299 / (29 * MIN + 90)) * 3_600_000, 6);
  });

  it('a beacon with a few missed beats is still a beacon', () => {
    const ts: number[] = [];
    for (let i = 0; i < 600; i++) if (i % 97 !== 0) ts.push(T0 + i * 5000);
    const s = lookupRate(ts, 600 * 5000);
    expect(s.beacon).toBe(true);
    expect(s.medianIntervalMs).toBe(5000);
    expect(describeBeacon(s)).toBe('every 5.0 s ± 0.0 s');
  });

  it('projects a short capture honestly: 1,234 in 20 min ≈ 88,848 a day', () => {
    const ts = Array.from({ length: 1234 }, (_, i) => T0 + (i * 20 * MIN) / 1234);
    const s = lookupRate(ts, 20 * MIN);
    expect(Math.round(s.perDay!)).toBe(88_848);
  });

  it('never divides by zero', () => {
    expect(lookupRate([], 0)).toMatchObject({ count: 0, perHour: null, spanMs: 0, beacon: false });
    expect(lookupRate([T0], 0)).toMatchObject({ count: 1, perHour: null, meanIntervalMs: 0 });
    expect(lookupRate([T0, T0, T0], 0).perDay).toBeNull();
  });
});

describe('formatInterval', () => {
  it('states three significant digits', () => {
    expect(formatInterval(1030)).toBe('1.03 s');
    expect(formatInterval(250)).toBe('250 ms');
    expect(formatInterval(12_500)).toBe('12.5 s');
    expect(formatInterval(252_000)).toBe('4.2 min');
  });
});

describe('mergeTimes', () => {
  it('merges ascending parts into one ascending copy', () => {
    const a = Float64Array.from([1, 4, 9]);
    const merged = mergeTimes([a, [2, 3, 10], [], [0]]);
    expect([...merged]).toEqual([0, 1, 2, 3, 4, 9, 10]);
    expect([...mergeTimes([a])]).toEqual([1, 4, 9]);
    expect(mergeTimes([a])).not.toBe(a);
    expect(mergeTimes([]).length).toBe(0);
  });
});
