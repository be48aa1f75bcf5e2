import { describe, expect, it } from 'vitest';
import { compareAroundMarker, duration, markerOutcome } from './rates';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('compareAroundMarker', () => {
  it('compares the rate before and after "HomeShield switched off"', () => {
    const ts: number[] = [];
    for (let i = 0; i < 600; i++) ts.push(T0 + i * 1000); // 1/s for 10 min
    for (let i = 0; i < 60; i++) ts.push(T0 + 600_000 + i * 10_000); // then 1 per 10 s
    const c = compareAroundMarker(ts, T0 + 600_000, T0, T0 + 1_200_000);
    expect(c.before).toEqual({ count: 600, perHour: 3600, windowMs: 600_000 });
    expect(c.after).toEqual({ count: 60, perHour: 360, windowMs: 600_000 });
    expect(c.change).toBeCloseTo(-0.9);
    expect(c.waitMs).toBe(0);
  });

  it('claims no effect before the time after the marker could hold ten lookups at the rate before', () => {
    // 2,306 an hour before; the marker 2 s before the end: "−100 %" would be a guess.
    const ts = Array.from({ length: 2306 }, (_, i) => T0 + (i * 3_600_000) / 2306);
    const at = T0 + 3_600_000;
    const now = compareAroundMarker(ts, at, T0, at + 2000);
    expect(now.change).toBeNull();
    expect(now.after).toEqual({ count: 0, perHour: 0, windowMs: 2000 });
    // Ten lookups at 2,306/h take 15.6 s.
    expect(now.waitMs).toBe(Math.ceil((10 * 3_600_000) / 2306) - 2000);
    const later = compareAroundMarker(ts, at, T0, at + 16_000);
    expect(later).toMatchObject({ change: -1, waitMs: 0 });
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

describe('markerOutcome', () => {
  const T = Date.UTC(2026, 10, 23, 12, 0, 0);
  const steady = Array.from({ length: 1200 }, (_, i) => T + i * 1000);
  it('calls a rate that goes on within chance the same, and names a drop, a rise and a stop', () => {
    expect(markerOutcome(compareAroundMarker(steady, T + 600_000, T, T + 1_200_000))).toBe('same');
    const fewer = steady.filter((t) => t < T + 600_000 || t % 2000 === 0);
    expect(markerOutcome(compareAroundMarker(fewer, T + 600_000, T, T + 1_200_000))).toBe('fewer');
    const more = [...steady, ...steady.filter((t) => t >= T + 600_000).map((t) => t + 500)].sort();
    expect(markerOutcome(compareAroundMarker(more, T + 600_000, T, T + 1_200_000))).toBe('more');
    const gone = steady.filter((t) => t < T + 600_000);
    expect(markerOutcome(compareAroundMarker(gone, T + 600_000, T, T + 1_200_000))).toBe('stopped');
    expect(markerOutcome(compareAroundMarker(gone, T + 600_000, T, T + 605_000))).toBe('waiting');
    expect(markerOutcome(compareAroundMarker(steady, T, T, T + 60_000))).toBe('no-before');
  });
});
