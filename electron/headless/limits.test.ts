import { describe, expect, it } from 'vitest';
import { RateLimiter, StreamSlots, WorkBudget } from './limits';

describe('RateLimiter', () => {
  it('allows a burst, then the refill rate, per key', () => {
    let t = 0;
    const r = new RateLimiter(3, 2, 100, () => t);
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([true, true, true, false]);
    expect(r.take('b')).toBe(true);
    expect(r.retryAfter('a')).toBe(1);
    t = 500; // 0.5 s at 2/s: one more
    expect([r.take('a'), r.take('a')]).toEqual([true, false]);
    t = 60_000; // refills up to the burst, not beyond
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([true, true, true, false]);
  });

  it('remembers at most maxKeys keys, forgetting the least recently used', () => {
    const r = new RateLimiter(1, 0.001, 2, () => 0);
    expect(r.take('a')).toBe(true);
    expect(r.take('b')).toBe(true);
    expect(r.take('a')).toBe(false); // a is now the most recent
    expect(r.take('c')).toBe(true); // b is forgotten
    expect(r.take('a')).toBe(false);
    expect(r.take('b')).toBe(true); // new again
  });
});

describe('StreamSlots', () => {
  it('caps streams per address and in total, and frees released slots', () => {
    const s = new StreamSlots(3, 2);
    expect(s.acquire('a')).toBeNull();
    expect(s.acquire('a')).toBeNull();
    expect(s.acquire('a')).toBe('too many streams from this address');
    expect(s.acquire('b')).toBeNull();
    expect(s.acquire('c')).toBe('too many streams');
    s.release('a');
    expect(s.open).toBe(2);
    expect(s.acquire('c')).toBeNull();
  });
});

describe('WorkBudget', () => {
  it('allows work until a second’s share is spent, then refills at its rate', () => {
    let t = 0;
    const b = new WorkBudget(250, () => t);
    expect(b.available()).toBe(true);
    b.measure(() => (t += 400)); // a long request overdraws: 250 - 400 = -150
    expect(b.available()).toBe(false);
    t += 500; // +125 ms: -25
    expect(b.available()).toBe(false);
    t += 200; // +50 ms: 25, positive again
    expect(b.available()).toBe(true);
    t += 60_000; // banks at most one second's worth
    b.spend(250);
    expect(b.available()).toBe(false);
  });
});
