import { describe, expect, it } from 'vitest';
import { RateCounter } from './aggregates';

describe('RateCounter', () => {
  it('averages the 10 whole seconds before the current one', () => {
    const r = new RateCounter();
    const t0 = 1_700_000_000_000;
    // 2 queries a second for 20 seconds.
    for (let s = 0; s < 20; s++) {
      r.add(t0 + s * 1000 + 100);
      r.add(t0 + s * 1000 + 900);
    }
    expect(r.rate(t0 + 20_000, 10)).toBe(2);
    // The still-filling current second does not count.
    r.add(t0 + 20_500);
    expect(r.rate(t0 + 20_600, 10)).toBe(2);
    // Five seconds later, half the window is empty.
    expect(r.rate(t0 + 25_000, 10)).toBeCloseTo((5 * 2 + 1) / 10);
    expect(r.rate(t0 + 120_000, 10)).toBe(0);
  });

  it('ignores events too old for its ring instead of corrupting newer seconds', () => {
    const r = new RateCounter();
    const t0 = 1_700_000_000_000;
    r.add(t0 + 100_000);
    r.add(t0 + 100_000 - 64_000); // same slot, older second
    expect(r.rate(t0 + 101_000, 1)).toBe(1);
  });
});
