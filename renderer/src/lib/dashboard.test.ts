import { describe, expect, it } from 'vitest';
import type { EventChannel, Events, RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import type { QueryEvent, Snapshot } from '@shared/events';
import type { Bridge, StreamState } from './bridge';
import { Dashboard } from './dashboard';
import { ManualTimers } from './manual-timers';
import { batch, deviceAt, queryEvent, snapshotOf } from './test-events';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** An in-memory engine behind the Bridge interface: it records events and answers snapshots from them. */
class MemoryEngine implements Bridge {
  readonly transport = 'websocket' as const;
  readonly events: QueryEvent[] = [];
  snapshotRequests: number[] = [];
  /** Lets a test hold a snapshot answer back to interleave live batches with it. */
  hold: Promise<void> | null = null;
  private readonly handlers = new Map<string, Set<(p: never) => void>>();
  private readonly connection = new Set<(s: StreamState) => void>();

  constructor(private readonly timers: ManualTimers) {}

  async invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
    if (channel === 'device:rename') {
      const { address, name } = args as RequestArgs<'device:rename'>;
      if (name.length > 64) throw new Error('A device name can have at most 64 characters.');
      return deviceAt(address, { name }) as RequestResult<K>;
    }
    if (channel !== 'capture:snapshot') throw new Error(`not supported here: ${channel}`);
    this.snapshotRequests.push((args as RequestArgs<'capture:snapshot'>).rangeMinutes);
    // The snapshot is taken when the request arrives, like the engine does.
    const snap: Snapshot = this.withHistory(snapshotOf([...this.events], this.timers.now));
    if (this.hold) await this.hold;
    return snap as RequestResult<K>;
  }

  on<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(listener as (p: never) => void);
    this.handlers.set(channel, set);
    return () => set.delete(listener as (p: never) => void);
  }

  onConnection(listener: (state: StreamState) => void): () => void {
    this.connection.add(listener);
    return () => this.connection.delete(listener);
  }

  setStream(state: StreamState): void {
    for (const l of this.connection) l(state);
  }

  /** The history state the engine's snapshots and statuses carry (none: a service without one). */
  history: 'loading' | 'loaded' | null = null;

  /** Pushes a status, as the engine does about once a second. */
  status(): void {
    const status = this.withHistory(snapshotOf([...this.events], this.timers.now)).status;
    for (const l of this.handlers.get('engine:status') ?? []) (l as (p: typeof status) => void)(status);
  }

  withHistory(snap: Snapshot): Snapshot {
    if (this.history === null) return snap;
    const history = { state: this.history, captures: 1, capturesTotal: 1, queries: 0, progress: 1 };
    return { ...snap, status: { ...snap.status, history } };
  }

  /** Streams a device update. */
  device(d: Events['device:update']): void {
    for (const l of this.handlers.get('device:update') ?? []) (l as (p: typeof d) => void)(d);
  }

  /** Records events and, when `deliver`, streams them as one batch. */
  record(events: QueryEvent[], deliver = true, dropped = 0): void {
    this.events.push(...events);
    if (!deliver) return;
    for (const l of this.handlers.get('query:batch') ?? [])
      (l as (b: Events['query:batch']) => void)(batch(events, dropped));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup() {
  const timers = new ManualTimers();
  timers.now = T0;
  const engine = new MemoryEngine(timers);
  const dashboard = new Dashboard(engine, { ...timersAsClock(timers) });
  const stop = dashboard.start();
  return { timers, engine, dashboard, stop };
}

function timersAsClock(timers: ManualTimers) {
  return {
    now: () => timers.now,
    requestFrame: (cb: () => void) => timers.requestFrame(cb),
    cancelFrame: (h: number) => timers.cancelFrame(h),
    setTimeout: (cb: () => void, ms: number) => timers.setTimeout(cb, ms),
    clearTimeout: (h: number) => timers.clearTimeout(h),
  };
}

describe('Dashboard', () => {
  it('takes a snapshot when the stream opens and adds live batches after it without double counting', async () => {
    const { timers, engine, dashboard } = setup();
    engine.record([queryEvent(1, T0 - 5000), queryEvent(2, T0 - 4000)], false);
    // Event 3 is streamed before the snapshot is taken, so the snapshot includes it too.
    engine.record([queryEvent(3, T0 - 3000)]);
    let release!: () => void;
    engine.hold = new Promise((r) => (release = r));
    engine.setStream('open');
    // Event 4 is streamed while the snapshot answer is on its way.
    engine.record([queryEvent(4, T0 - 1000)]);
    timers.frame();
    expect(dashboard.getView().loaded).toBe(false);
    release();
    await settle();
    timers.frame();
    expect(engine.snapshotRequests).toEqual([24 * 60]);
    const view = dashboard.getView();
    expect(view.loaded).toBe(true);
    expect(view.totalQueries).toBe(4);
    expect(view.lastSeq).toBe(4);
    expect(view.duplicateEvents).toBe(1);
    engine.record([queryEvent(5, T0)]);
    timers.frame();
    expect(dashboard.getView().totalQueries).toBe(5);
    expect(dashboard.state.ring.newestFirst().map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  it('takes a new snapshot after a reconnect and recovers what was missed while disconnected', async () => {
    const { timers, engine, dashboard } = setup();
    engine.setStream('open');
    await settle();
    engine.record([queryEvent(1, T0)]);
    timers.frame();
    expect(dashboard.getView().totalQueries).toBe(1);
    engine.setStream('reconnecting');
    engine.record([queryEvent(2, T0 + 1000), queryEvent(3, T0 + 2000)], false);
    timers.frame();
    expect(dashboard.getView().connection).toBe('reconnecting');
    engine.setStream('open');
    await settle();
    timers.frame();
    expect(engine.snapshotRequests.length).toBe(2);
    expect(dashboard.getView().totalQueries).toBe(3);
    expect(dashboard.state.ring.newestFirst().map((e) => e.seq)).toEqual([3, 2, 1]);
  });

  it('asks for a snapshot again once the history is read when its first snapshot said it was loading', async () => {
    const { timers, engine, dashboard } = setup();
    // A restarted engine: counts in, the last rows of the earlier captures still being read.
    engine.history = 'loading';
    engine.record([queryEvent(2, T0 + 1000)], false);
    engine.setStream('open');
    await settle();
    timers.frame();
    expect(engine.snapshotRequests.length).toBe(1);
    expect(dashboard.state.ring.newestFirst().map((e) => e.seq)).toEqual([2]);
    // The first status the page sees already says loaded: the earlier rows are there now.
    engine.events.unshift(queryEvent(1, T0));
    engine.history = 'loaded';
    engine.status();
    await settle();
    timers.frame();
    expect(engine.snapshotRequests.length).toBe(2);
    expect(dashboard.state.ring.newestFirst().map((e) => e.seq)).toEqual([2, 1]);
    // Loaded from then on: no more snapshots for it.
    engine.status();
    await settle();
    expect(engine.snapshotRequests.length).toBe(2);
  });

  it('resynchronises after a batch reports dropped events, at most every two seconds', async () => {
    const { timers, engine, dashboard } = setup();
    engine.setStream('open');
    await settle();
    engine.record([queryEvent(1, T0), queryEvent(2, T0 + 1)], false);
    engine.record([queryEvent(3, T0 + 2)], true, 2);
    timers.frame();
    // The snapshot right after opening was less than 2 s ago: the resync waits for the timer.
    expect(engine.snapshotRequests.length).toBe(1);
    timers.advance(2000);
    await settle();
    timers.frame();
    expect(engine.snapshotRequests.length).toBe(2);
    expect(dashboard.getView().totalQueries).toBe(3);
  });

  it('asks for a longer snapshot only when a range needs more than is held', async () => {
    const { engine, dashboard } = setup();
    engine.setStream('open');
    await settle();
    dashboard.ensureRetained(60);
    expect(engine.snapshotRequests).toEqual([1440]);
    dashboard.ensureRetained(3000);
    await settle();
    expect(engine.snapshotRequests).toEqual([1440, 3000]);
  });

  it('notifies subscribers once per frame and stops cleanly', async () => {
    const { timers, engine, dashboard, stop } = setup();
    let calls = 0;
    dashboard.subscribe(() => calls++);
    engine.setStream('open');
    await settle();
    timers.frame();
    const before = calls;
    for (let s = 1; s <= 20; s++) engine.record([queryEvent(s, T0 + s)]);
    timers.frame();
    expect(calls).toBe(before + 1);
    stop();
    engine.record([queryEvent(21, T0 + 21)]);
    timers.frame();
    timers.advance(10_000);
    expect(calls).toBe(before + 1);
  });

  it('shows device updates and renames on the next frame', async () => {
    const { timers, engine, dashboard } = setup();
    engine.setStream('open');
    await settle();
    engine.record([queryEvent(1, T0, '192.168.1.1')]);
    engine.device(deviceAt('192.168.1.1', { isRouter: true, hostname: 'archer.lan' }));
    timers.frame();
    expect(dashboard.getView().deviceInfo.get('192.168.1.1')).toMatchObject({
      isRouter: true,
      hostname: 'archer.lan',
    });
    await dashboard.renameDevice('192.168.1.1', 'Router');
    timers.frame();
    expect(dashboard.getView().deviceInfo.get('192.168.1.1')?.name).toBe('Router');
    await expect(dashboard.renameDevice('192.168.1.1', 'x'.repeat(65))).rejects.toThrow(/at most 64/);
    expect(dashboard.getView().deviceInfo.get('192.168.1.1')?.name).toBe('Router');
  });

  it('can be started again after a stop (React runs effects twice in development)', async () => {
    const { timers, engine, dashboard, stop } = setup();
    stop();
    dashboard.start();
    engine.setStream('open');
    await settle();
    engine.record([queryEvent(1, T0)]);
    timers.frame();
    expect(dashboard.getView().totalQueries).toBe(1);
  });
});
