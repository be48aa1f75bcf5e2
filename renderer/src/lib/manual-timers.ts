/** Hand-driven frames and timers with a synthetic clock, for the renderer's unit tests. */
import type { FrameTimers } from './frame-scheduler';

export class ManualTimers implements FrameTimers {
  now = 0;
  private nextId = 1;
  private readonly frames = new Map<number, () => void>();
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  requestFrame(callback: () => void): number {
    const id = this.nextId++;
    this.frames.set(id, callback);
    return id;
  }

  cancelFrame(handle: number): void {
    this.frames.delete(handle);
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: number): void {
    this.timers.delete(handle);
  }

  get pendingFrames(): number {
    return this.frames.size;
  }

  /** Runs the frames requested so far (not those they request). */
  frame(): void {
    const due = [...this.frames.values()];
    this.frames.clear();
    for (const f of due) f();
  }

  /** Moves the clock forward, firing timers that fall due, in time order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].callback();
    }
    this.now = end;
  }
}
