import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fake-clock';
import { Emitter, type EngineEvents } from './events';
import { Warnings } from './warnings';

describe('Emitter', () => {
  it('reaches every listener even when one throws, and unsubscribes', () => {
    const events = new Emitter<{ tick: number }>();
    const seen: number[] = [];
    events.on('tick', () => {
      throw new Error('broken listener');
    });
    const off = events.on('tick', (n) => seen.push(n));
    expect(events.has('tick')).toBe(true);
    expect(() => events.emit('tick', 1)).not.toThrow();
    off();
    events.emit('tick', 2);
    expect(seen).toEqual([1]);
  });
});

describe('Warnings', () => {
  it('announces a repeated message at most every 10 s while counting every one', () => {
    const clock = new FakeClock(1_000_000);
    const events = new Emitter<EngineEvents>();
    const heard: number[] = [];
    events.on('warning', (w) => heard.push(w.count));
    const warnings = new Warnings(events, clock);
    warnings.warn('upstream-failing', 'down');
    clock.advance(5_000);
    warnings.warn('upstream-failing', 'down');
    warnings.warn('upstream-failing', 'still down');
    clock.advance(5_000);
    warnings.warn('upstream-failing', 'still down');
    clock.advance(5_000);
    warnings.warn('upstream-failing', 'still down');
    expect(heard).toEqual([1, 3, 5]);
    expect(warnings.list()).toEqual([
      { code: 'upstream-failing', message: 'still down', ts: 1_015_000, count: 5 },
    ]);
  });
});
