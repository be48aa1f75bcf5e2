import { describe, expect, it } from 'vitest';
import { compareAroundMarker, describeBeacon, duration, rateStats } from './rates';

/** A deterministic pseudo-random source, so the synthetic timelines are the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('rateStats', () => {
  it('a 1 s beacon with ±0.1 s jitter: regular, every 1.0 s ± ~0.06 s, ≈ 86,400 a day', () => {
    const r = rng(1);
    const ts: number[] = [];
    for (let i = 0; i < 1200; i++) ts.push(T0 + i * 1000 + (r() - 0.5) * 200);
    ts.sort((a, b) => a - b);
    const s = rateStats(ts, 20 * 60_000);
    expect(s.count).toBe(1200);
    expect(s.medianIntervalMs).toBeGreaterThan(950);
    expect(s.medianIntervalMs).toBeLessThan(1050);
    expect(s.regularity).toBeGreaterThan(0.85);
    expect(s.beacon).toBe(true);
    expect(s.perDay).toBeGreaterThan(85_000);
    expect(s.perDay).toBeLessThan(88_000);
    expect(describeBeacon(s)).toMatch(/^every 1\.0 s ± 0\.[01] s$/);
  });

  it('random (Poisson) arrivals at the same average rate are not a beacon', () => {
    const r = rng(2);
    const ts: number[] = [];
    let t = T0;
    for (let i = 0; i < 1200; i++) {
      t += -Math.log(1 - r()) * 1000;
      ts.push(t);
    }
    const s = rateStats(ts, t - T0);
    expect(s.regularity).toBeLessThan(0.3);
    expect(s.beacon).toBe(false);
    expect(s.perHour).toBeGreaterThan(3000);
    expect(s.perHour).toBeLessThan(4200);
    expect(describeBeacon(s)).toBe('');
  });

  it('bursts (10 queries 10 ms apart every minute) are not a beacon', () => {
    const ts: number[] = [];
    for (let b = 0; b < 30; b++) for (let i = 0; i < 10; i++) ts.push(T0 + b * 60_000 + i * 10);
    const s = rateStats(ts, 30 * 60_000);
    expect(s.beacon).toBe(false);
    expect(s.regularity).toBeLessThan(0.2);
    expect(s.perHour).toBeCloseTo(600, -1);
  });

  it('a beacon with a few missed beats is still a beacon', () => {
    const ts: number[] = [];
    for (let i = 0; i < 600; i++) if (i % 97 !== 0) ts.push(T0 + i * 5000);
    const s = rateStats(ts, 600 * 5000);
    expect(s.beacon).toBe(true);
    expect(s.medianIntervalMs).toBe(5000);
    expect(describeBeacon(s)).toBe('every 5.0 s ± 0.0 s');
  });

  it('projects a short capture honestly: 1,234 in 20 min ≈ 88,848 a day', () => {
    const ts = Array.from({ length: 1234 }, (_, i) => T0 + (i * 20 * 60_000) / 1234);
    const s = rateStats(ts, 20 * 60_000);
    expect(Math.round(s.perDay)).toBe(88_848);
  });

  it('never divides by zero and needs enough queries to claim a beacon', () => {
    expect(rateStats([], 0)).toMatchObject({ count: 0, perHour: 0, beacon: false });
    expect(rateStats([T0], 0).perHour).toBeGreaterThan(0);
    const few = [0, 1000, 2000, 3000].map((d) => T0 + d);
    expect(rateStats(few, 4000).beacon).toBe(false);
  });
});

describe('compareAroundMarker', () => {
  it('compares the rate before and after "HomeShield switched off"', () => {
    const ts: number[] = [];
    for (let i = 0; i < 600; i++) ts.push(T0 + i * 1000); // 1/s for 10 min
    for (let i = 0; i < 60; i++) ts.push(T0 + 600_000 + i * 10_000); // then 1 per 10 s
    const c = compareAroundMarker(ts, T0 + 600_000, T0, T0 + 1_200_000);
    expect(c.before).toEqual({ count: 600, perHour: 3600, windowMs: 600_000 });
    expect(c.after).toEqual({ count: 60, perHour: 360, windowMs: 600_000 });
    expect(c.change).toBeCloseTo(-0.9);
  });

  it('has no change figure without a before rate', () => {
    expect(compareAroundMarker([T0 + 5], T0, T0, T0 + 10).change).toBeNull();
  });
});

describe('duration', () => {
  it('picks a unit', () => {
    expect(duration(250)).toBe('250 ms');
    expect(duration(1000)).toBe('1.0 s');
    expect(duration(300_000)).toBe('5.0 min');
    expect(duration(5_400_000)).toBe('1.5 h');
  });
});
