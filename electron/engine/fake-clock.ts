// Test doubles for clock.ts: tests only.
import { realClock, type Clock, type RandomSource } from './clock';

interface FakeTimer {
  readonly id: number;
  at: number;
  /** 0 for a one-shot timer. */
  readonly every: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told. advance() fires every timer that falls due on the way, in time order,
 * with now() reading each timer's due time while it runs, so code sees the same sequence as in real time.
 */
export class FakeClock implements Clock {
  private t: number;
  private readonly start: number;
  private readonly timers = new Map<number, FakeTimer>();
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
    this.t = start;
    this.start = start;
  }

  now(): number {
    return this.t;
  }

  mono(): number {
    return this.t - this.start;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    return this.add(callback, ms, 0);
  }

  setInterval(callback: () => void, ms: number): unknown {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing what falls due (timers set meanwhile included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: FakeTimer | null = null;
      for (const timer of this.timers.values())
        if (timer.at <= end && (due === null || timer.at < due.at)) due = timer;
      if (due === null) break;
      this.t = Math.max(this.t, due.at);
      if (due.every > 0) due.at += due.every;
      else this.timers.delete(due.id);
      due.callback();
    }
    this.t = end;
  }

  private add(callback: () => void, ms: number, every: number): number {
    const id = this.nextId++;
    // Like Node, a negative or zero delay still waits for the next turn (here: the next advance).
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), every, callback });
    return id;
  }
}

/** Real timers, but wall time read from `now`: for code whose timers must run while the date is synthetic. */
export function clockAt(now: () => number): Clock {
  return { ...realClock, now };
}

/** Hands out the given IDs in turn (repeating the list), so tests can force ID collisions. */
export class FixedRandom implements RandomSource {
  private i = 0;
  private names = 0;

  constructor(private readonly ids: readonly number[] = [0x1234]) {}

  uint16(): number {
    return this.ids[this.i++ % this.ids.length]! & 0xffff;
  }

  /** A counter, so every name is still unique. */
  hex(bytes: number): string {
    return (++this.names)
      .toString(16)
      .padStart(bytes * 2, '0')
      .slice(-bytes * 2);
  }
}
