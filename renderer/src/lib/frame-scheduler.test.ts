import { describe, expect, it } from 'vitest';
import { createFrameScheduler } from './frame-scheduler';
import { ManualTimers } from './manual-timers';

describe('createFrameScheduler', () => {
  it('runs once per frame however often it is scheduled', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const scheduler = createFrameScheduler(() => runs++, timers);
    for (let i = 0; i < 50; i++) scheduler.schedule();
    expect(timers.pendingFrames).toBe(1);
    timers.frame();
    expect(runs).toBe(1);
    timers.advance(1000);
    expect(runs).toBe(1);
    scheduler.schedule();
    timers.frame();
    expect(runs).toBe(2);
  });

  it('falls back to a timer when no frame comes (hidden page)', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const scheduler = createFrameScheduler(() => runs++, timers, 500);
    scheduler.schedule();
    timers.advance(499);
    expect(runs).toBe(0);
    timers.advance(1);
    expect(runs).toBe(1);
    timers.frame();
    expect(runs).toBe(1);
  });

  it('does nothing after dispose', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const scheduler = createFrameScheduler(() => runs++, timers);
    scheduler.schedule();
    scheduler.dispose();
    scheduler.schedule();
    timers.frame();
    timers.advance(5000);
    expect(runs).toBe(0);
  });
});
