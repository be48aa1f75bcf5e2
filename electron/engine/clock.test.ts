import { describe, expect, it } from 'vitest';
import { CryptoRandom, realClock } from './clock';
import { FakeClock, FixedRandom } from './fake-clock';

describe('FakeClock', () => {
  it('moves only when told, and fires timers in time order with now() at their due time', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    const gone = clock.setTimeout(() => fired.push('cleared'), 5);
    clock.clearTimeout(gone);
    expect(clock.now()).toBe(1000);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@1010', 'b@1020']);
    expect(clock.now()).toBe(1020);
    expect(clock.mono()).toBe(20);
    expect(clock.pending).toBe(0);
  });

  it('repeats intervals, fires timers set by timers, and stops what is cleared', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const every = clock.setInterval(() => {
      fired.push(clock.now());
      if (clock.now() === 50) clock.setTimeout(() => fired.push(-clock.now()), 5);
    }, 25);
    clock.advance(100);
    expect(fired).toEqual([25, 50, -55, 75, 100]);
    clock.clearInterval(every);
    clock.advance(100);
    expect(fired).toHaveLength(5);
  });

  it('runs a zero-delay timer on the next advance, not at once', () => {
    const clock = new FakeClock(0);
    let ran = false;
    clock.setTimeout(() => (ran = true), 0);
    expect(ran).toBe(false);
    clock.advance(0);
    expect(ran).toBe(true);
  });
});

describe('realClock', () => {
  it('reads the wall clock and a monotonic clock', () => {
    const before = Date.now();
    const now = realClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    const m = realClock.mono();
    expect(realClock.mono()).toBeGreaterThanOrEqual(m);
  });
});

describe('CryptoRandom', () => {
  it('hands out 16-bit IDs spread over the whole range, across pool refills', () => {
    const random = new CryptoRandom();
    const seen = new Set<number>();
    let high = 0;
    for (let i = 0; i < 3 * 4096 + 17; i++) {
      const id = random.uint16();
      expect(Number.isInteger(id) && id >= 0 && id <= 0xffff).toBe(true);
      seen.add(id);
      if (id >= 0x8000) high++;
    }
    // 12,305 draws from 65,536 values: about 11,300 distinct and half of them high; a stuck or narrow
    // source falls far short (the bounds are many standard deviations out).
    expect(seen.size).toBeGreaterThan(10_500);
    expect(high).toBeGreaterThan(5500);
    expect(high).toBeLessThan(6800);
  });

  it('gives fresh hex names', () => {
    const random = new CryptoRandom();
    const a = random.hex(8);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(random.hex(8)).not.toBe(a);
  });
});

describe('FixedRandom', () => {
  it('repeats its IDs and still gives unique names', () => {
    const random = new FixedRandom([1, 0x1ffff]);
    expect([random.uint16(), random.uint16(), random.uint16()]).toEqual([1, 0xffff, 1]);
    expect(random.hex(2)).toBe('0001');
    expect(random.hex(2)).toBe('0002');
  });
});
