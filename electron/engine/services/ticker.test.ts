import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fake-clock';
import { Ticker } from './ticker';

describe('Ticker', () => {
  it('runs only while needed, and stops itself once it is not', () => {
    const clock = new FakeClock();
    let needed = false;
    let ticks = 0;
    const t = new Ticker(
      clock,
      1000,
      () => needed,
      () => ticks++,
    );
    t.sync();
    expect(clock.pending).toBe(0);
    needed = true;
    t.sync();
    t.sync();
    expect(clock.pending).toBe(1);
    clock.advance(3000);
    expect(ticks).toBe(3);
    // No longer needed: the next tick is the last, and no timer is left.
    needed = false;
    clock.advance(1000);
    expect(ticks).toBe(4);
    expect(t.running).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
