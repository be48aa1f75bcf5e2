import { describe, expect, it } from 'vitest';
import { TimeSeries, trimmedSize } from './series';

/** A series of `n` times 1 s apart from `t0`, tagged with their index, and one earlier time sorted in. */
function filled(n: number, t0 = 1_764_000_000_000): TimeSeries {
  const s = new TimeSeries();
  for (let i = 0; i < n; i++) s.push(t0 + i * 1000, i);
  s.push(t0 + 500, -1);
  return s;
}

describe('TimeSeries', () => {
  it('keeps its times ascending with their tags, and trim() gives back the unused room and nothing else', () => {
    const s = filled(70_000);
    const times = [...s.values()];
    const tags = [...s.tags()];
    expect(times).toHaveLength(70_001);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(tags.slice(0, 3)).toEqual([0, -1, 1]);
    // Doubling growth: 70,001 entries in a buffer for 131,072.
    expect(s.capacity).toBe(131_072);
    s.trim();
    expect(s.capacity).toBe(trimmedSize(70_001));
    expect([...s.values()]).toEqual(times);
    expect([...s.tags()]).toEqual(tags);
    // Pushes go on as before, an earlier time still sorted in, past the trimmed room too.
    for (let i = 0; i < 20_000; i++) s.push(times.at(-1)! + (i + 1) * 1000, 70_000 + i);
    s.push(times[0]! + 1, -2);
    const after = [...s.values()];
    expect(after).toHaveLength(90_002);
    expect(after.every((t, i) => i === 0 || t >= after[i - 1]!)).toBe(true);
    expect(s.tags()[1]).toBe(-2);
    expect(s.last()).toBe(times.at(-1)! + 20_000_000);
  });

  it('leaves a small or nearly full series as it is', () => {
    const small = filled(10);
    small.trim();
    expect(small.capacity).toBe(256);
    const full = filled(1022);
    expect(full.capacity).toBe(1024);
    full.trim();
    expect(full.capacity).toBe(1024);
    expect(full.length).toBe(1023);
  });
});
