import { describe, expect, it } from 'vitest';
import { Ring } from './ring';

describe('Ring', () => {
  it('keeps the newest items up to its capacity', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.size).toBe(3);
    expect(ring.newestFirst()).toEqual([5, 4, 3]);
    expect(ring.oldest()).toBe(3);
    expect(ring.newest()).toBe(5);
  });

  it('filters while copying and empties on clear', () => {
    const ring = new Ring<number>(10);
    for (let i = 1; i <= 6; i++) ring.push(i);
    expect(ring.newestFirst((n) => n % 2 === 0)).toEqual([6, 4, 2]);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.oldest()).toBeUndefined();
    expect(ring.newestFirst()).toEqual([]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
    expect(() => new Ring(1.5)).toThrow(RangeError);
  });
});
