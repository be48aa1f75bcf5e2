/** The timer functions the scheduler needs, injectable so tests drive frames by hand. */
export interface FrameTimers {
  requestFrame(callback: () => void): number;
  cancelFrame(handle: number): void;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(handle: number): void;
}

/** Runs a callback at most once per scheduled frame, however often `schedule()` is called in between. */
export interface FrameScheduler {
  schedule(): void;
  dispose(): void;
}

/**
 * Coalesces `schedule()` calls into one `run()` on the next animation frame. Hidden pages get no frames,
 * so a timer of `fallbackMs` runs it too; whichever fires first cancels the other.
 */
export function createFrameScheduler(run: () => void, timers: FrameTimers, fallbackMs = 500): FrameScheduler {
  let frame: number | null = null;
  let timer: number | null = null;
  let disposed = false;
  const fire = (): void => {
    if (frame !== null) timers.cancelFrame(frame);
    if (timer !== null) timers.clearTimeout(timer);
    frame = null;
    timer = null;
    run();
  };
  return {
    schedule() {
      if (disposed || frame !== null) return;
      frame = timers.requestFrame(fire);
      timer = timers.setTimeout(fire, fallbackMs);
    },
    dispose() {
      disposed = true;
      if (frame !== null) timers.cancelFrame(frame);
      if (timer !== null) timers.clearTimeout(timer);
      frame = null;
      timer = null;
    },
  };
}
