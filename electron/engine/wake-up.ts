/**
 * A wake-up for one waiter: `wait()` resolves at the next `wake()`. A wake with nobody waiting is not kept,
 * so a waiter checks its condition before it waits again (the loops that use it do).
 */
export interface WakeUp {
  wait(): Promise<void>;
  wake(): void;
}

export function wakeUp(): WakeUp {
  let waiting: (() => void) | null = null;
  return {
    wait: () => new Promise((resolve) => (waiting = resolve)),
    wake: () => {
      const w = waiting;
      waiting = null;
      w?.();
    },
  };
}
