import { describe, expect, it } from 'vitest';
import type { Batch } from './batcher';
import { Batcher } from './batcher';

function collect(): { batches: Batch<number>[]; listener: (b: Batch<number>) => void } {
  const batches: Batch<number>[] = [];
  return { batches, listener: (b) => void batches.push(b) };
}

describe('Batcher', () => {
  it('delivers pending events once the interval has passed, not before', () => {
    const b = new Batcher<number>({ intervalMs: 200, maxEvents: 500, maxPending: 1000 });
    const { batches, listener } = collect();
    b.subscribe(listener);
    b.tick(1000); // nothing pending: only starts the interval
    expect(batches).toEqual([]);
    b.push(1);
    b.push(2);
    b.push(3);
    b.tick(1100);
    expect(batches).toEqual([]);
    b.tick(1200);
    expect(batches).toEqual([{ batch: 1, events: [1, 2, 3], dropped: 0 }]);
    b.tick(1400);
    expect(batches).toHaveLength(1); // nothing new: no empty batch
    b.push(4);
    b.tick(1600);
    expect(batches[1]).toEqual({ batch: 2, events: [4], dropped: 0 });
  });

  it('flushes a full batch early, in slices of maxEvents, and reports when one is due', () => {
    const b = new Batcher<number>({ intervalMs: 200, maxEvents: 5, maxPending: 1000 });
    const { batches, listener } = collect();
    b.subscribe(listener);
    b.tick(0);
    const due: boolean[] = [];
    for (let i = 1; i <= 12; i++) due.push(b.push(i));
    expect(due.slice(0, 4)).toEqual([false, false, false, false]);
    expect(due[4]).toBe(true);
    b.tick(10); // interval not over: only the full batches go
    expect(batches.map((x) => x.events)).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
    b.tick(200);
    expect(batches.map((x) => x.batch)).toEqual([1, 2, 3]);
    expect(batches[2]!.events).toEqual([11, 12]);
  });

  it('numbers batches per subscriber from 1', () => {
    const b = new Batcher<number>({ intervalMs: 100, maxEvents: 500, maxPending: 1000 });
    const first = collect();
    const second = collect();
    b.subscribe(first.listener);
    b.push(1);
    b.tick(0);
    b.push(2);
    b.tick(100);
    b.subscribe(second.listener);
    b.push(3);
    b.tick(200);
    expect(first.batches.map((x) => [x.batch, x.events])).toEqual([
      [1, [1]],
      [2, [2]],
      [3, [3]],
    ]);
    expect(second.batches.map((x) => [x.batch, x.events])).toEqual([[1, [3]]]);
  });

  it('drops the oldest events of a subscriber that falls behind and counts them once', () => {
    const b = new Batcher<number>({ intervalMs: 100, maxEvents: 500, maxPending: 20_000 });
    const slow = collect();
    const roomy = collect();
    b.subscribe(slow.listener, 3);
    b.subscribe(roomy.listener);
    for (let i = 1; i <= 5; i++) b.push(i);
    b.tick(0);
    expect(slow.batches).toEqual([{ batch: 1, events: [3, 4, 5], dropped: 2 }]);
    expect(roomy.batches).toEqual([{ batch: 1, events: [1, 2, 3, 4, 5], dropped: 0 }]);
    b.push(6);
    b.tick(100);
    expect(slow.batches[1]).toEqual({ batch: 2, events: [6], dropped: 0 });
  });

  it('keeps dropping correctly over a long overflow', () => {
    const b = new Batcher<number>({ intervalMs: 100, maxEvents: 1_000_000, maxPending: 20_000 });
    const { batches, listener } = collect();
    b.subscribe(listener, 1000);
    for (let i = 1; i <= 50_000; i++) b.push(i);
    b.tick(0);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.dropped).toBe(49_000);
    expect(batches[0]!.events).toHaveLength(1000);
    expect(batches[0]!.events[0]).toBe(49_001);
    expect(batches[0]!.events[999]).toBe(50_000);
  });

  it('survives a throwing listener: others still receive, the thrower keeps its numbering', () => {
    const errors: unknown[] = [];
    const b = new Batcher<number>({
      intervalMs: 100,
      maxEvents: 500,
      maxPending: 1000,
      onListenerError: (err) => errors.push(err),
    });
    const seen: number[] = [];
    b.subscribe((batch) => {
      seen.push(batch.batch);
      throw new Error('boom');
    });
    const good = collect();
    b.subscribe(good.listener);
    b.push(1);
    expect(() => b.tick(0)).not.toThrow();
    b.push(2);
    b.tick(100);
    expect(seen).toEqual([1, 2]);
    expect(good.batches.map((x) => x.events)).toEqual([[1], [2]]);
    expect(errors).toHaveLength(2);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it('stops delivering after unsubscribe, also when unsubscribing from inside the listener', () => {
    const b = new Batcher<number>({ intervalMs: 100, maxEvents: 2, maxPending: 1000 });
    const got: number[][] = [];
    const unsubscribe = b.subscribe((batch) => {
      got.push([...batch.events]);
      unsubscribe();
    });
    for (let i = 1; i <= 5; i++) b.push(i);
    b.tick(0);
    expect(got).toEqual([[1, 2]]);
    expect(b.size).toBe(0);
    unsubscribe(); // idempotent
    b.push(6);
    b.tick(100);
    expect(got).toEqual([[1, 2]]);
  });

  it('does not hold batches back when the clock steps backwards', () => {
    const b = new Batcher<number>({ intervalMs: 200, maxEvents: 500, maxPending: 1000 });
    const { batches, listener } = collect();
    b.subscribe(listener);
    b.tick(1_000_000);
    b.push(1);
    b.tick(5_000);
    expect(batches.map((x) => x.events)).toEqual([[1]]);
  });
});
