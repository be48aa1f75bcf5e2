import { describe, expect, it } from 'vitest';
import { wakeUp } from './wake-up';

describe('wakeUp', () => {
  it('resolves the waiter at the next wake, and keeps no wake given while nobody waits', async () => {
    const w = wakeUp();
    w.wake();
    let woken = false;
    const waited = w.wait().then(() => (woken = true));
    await new Promise((r) => setImmediate(r));
    expect(woken).toBe(false);
    w.wake();
    await waited;
    expect(woken).toBe(true);
  });
});
