import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from './delivery-queue';

describe('DeliveryQueue', () => {
  it('sends one at a time in order, after the caller returns, and counts outcomes', async () => {
    const sent: number[] = [];
    let inFlight = 0;
    const q = new DeliveryQueue<number>(
      async (n) => {
        expect(++inFlight).toBe(1);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        if (n === 2) throw new Error('no route to host');
        sent.push(n);
      },
      () => 1000,
    );
    for (const n of [1, 2, 3]) expect(q.push(n)).toBe(true);
    // Nothing is sent inside push(): the DNS path that raised the alert goes on first.
    expect(sent).toEqual([]);
    await q.idle();
    expect(sent).toEqual([1, 3]);
    expect(q.status()).toEqual({
      sent: 2,
      failed: 1,
      dropped: 0,
      lastError: '',
      lastSentAt: 1000,
      lastErrorAt: 1000,
    });
  });

  it('drops and counts what does not fit instead of growing', async () => {
    let release = () => undefined as void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new DeliveryQueue<number>(() => gate, Date.now, 2);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    await new Promise((r) => setImmediate(r));
    // One is being sent: room for one more.
    expect([q.push(4), q.push(5)]).toEqual([true, false]);
    expect(q.status().dropped).toBe(2);
    release();
    await q.idle();
    expect(q.status().sent).toBe(3);
  });

  it('reports a test send to its caller and counts it', async () => {
    const q = new DeliveryQueue<number>(async () => {
      throw new Error('401 Unauthorized');
    });
    await expect(q.sendNow(1)).rejects.toThrow('401 Unauthorized');
    expect(q.status()).toMatchObject({ failed: 1, lastError: '401 Unauthorized' });
  });
});
