import { describe, expect, it } from 'vitest';
import { MINUTE_MS, minuteOf } from '@shared/time';
import { DashboardState, LOG_RING_SIZE, MAX_QUEUED_EVENTS } from './dashboard-state';
import { NEW_DEVICE_MS } from './devices';
import { batch, deviceAt, engineStatus, queryEvent, snapshotOf } from './test-events';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const ROUTER = '192.168.1.1';
const PHONE = '192.168.1.23';

function loadedStore(events = [queryEvent(1, T0, ROUTER)], retain = 60): DashboardState {
  const store = new DashboardState();
  store.beginSnapshot();
  store.applySnapshot(snapshotOf(events, T0), retain, T0);
  store.flush(T0);
  return store;
}

describe('DashboardState', () => {
  it('holds live events until the snapshot arrives, then applies only those with a higher seq', () => {
    const store = new DashboardState();
    store.beginSnapshot();
    // Events 2..4 arrive on the stream before the snapshot (which already includes 1..3) is answered.
    store.pushBatch(batch([2, 3, 4].map((s) => queryEvent(s, T0 + s * 1000, ROUTER))));
    expect(store.flush(T0)).toEqual([]);
    expect(store.getView().loaded).toBe(false);

    const history = [1, 2, 3].map((s) => queryEvent(s, T0 + s * 1000, ROUTER));
    store.applySnapshot(snapshotOf(history, T0), 60, T0);
    const applied = store.flush(T0 + 5000);
    expect(applied.map((e) => e.seq)).toEqual([4]);
    const view = store.getView();
    expect(view.totalQueries).toBe(4);
    expect(view.lastSeq).toBe(4);
    expect(view.duplicateEvents).toBe(2);
    expect(store.get(minuteOf(T0))?.get(ROUTER)).toBe(4);
  });

  it('takes device details from the snapshot and from live updates', () => {
    const store = new DashboardState();
    store.beginSnapshot();
    const snap = snapshotOf([queryEvent(1, T0, ROUTER)], T0);
    store.applySnapshot(
      { ...snap, devices: [deviceAt(ROUTER, { isRouter: true, mac: 'f4:f2:6d:12:34:56' })] },
      60,
      T0,
    );
    store.flush(T0);
    const first = store.getView();
    expect(first.deviceInfo.get(ROUTER)).toMatchObject({ isRouter: true, mac: 'f4:f2:6d:12:34:56' });
    // A status does not rebuild the device map (components keyed on it do not redraw).
    store.setStatus(engineStatus(T0 + 1000), T0 + 1000);
    store.flush(T0 + 1000);
    expect(store.getView().deviceInfo).toBe(first.deviceInfo);
    store.setDevice(deviceAt(PHONE, { name: 'Anna’s phone', privateMac: true }));
    store.flush(T0 + 2000);
    const next = store.getView();
    expect(next.deviceInfo).not.toBe(first.deviceInfo);
    expect(next.deviceInfo.get(PHONE)?.name).toBe('Anna’s phone');
    expect(next.deviceInfo.get(ROUTER)?.isRouter).toBe(true);
  });

  it('keeps a device update that arrives while a snapshot taken before it is on its way', () => {
    const store = loadedStore();
    store.beginSnapshot();
    // The engine names the phone after the snapshot was asked for, and the snapshot still has it unnamed.
    store.setDevice(deviceAt(PHONE, { hostname: 'annas-phone' }));
    const snap = snapshotOf([queryEvent(1, T0, ROUTER), queryEvent(2, T0 + 1000, PHONE)], T0 + 1000);
    store.applySnapshot({ ...snap, devices: [deviceAt(PHONE, { hostname: '' })] }, 60, T0 + 1000);
    store.flush(T0 + 1000);
    expect(store.getView().deviceInfo.get(PHONE)?.hostname).toBe('annas-phone');
    // The next snapshot is the engine's word again.
    store.beginSnapshot();
    store.applySnapshot({ ...snap, devices: [deviceAt(PHONE, { hostname: 'phone-2' })] }, 60, T0 + 2000);
    store.flush(T0 + 2000);
    expect(store.getView().deviceInfo.get(PHONE)?.hostname).toBe('phone-2');
  });

  it('highlights a device that first appears live, for a few seconds only', () => {
    const store = loadedStore();
    expect(store.getView().newDevices.size).toBe(0);
    store.pushBatch(batch([queryEvent(2, T0 + 1000, ROUTER), queryEvent(3, T0 + 1000, PHONE)]));
    store.flush(T0 + 1000);
    // The router came with the snapshot; only the phone is new.
    expect([...store.getView().newDevices]).toEqual([PHONE]);
    store.pushBatch(batch([queryEvent(4, T0 + 2000, PHONE)]));
    store.flush(T0 + 2000);
    expect([...store.getView().newDevices]).toEqual([PHONE]);
    store.flush(T0 + 1000 + NEW_DEVICE_MS - 1);
    expect(store.getView().newDevices.has(PHONE)).toBe(true);
    store.flush(T0 + 1000 + NEW_DEVICE_MS);
    expect(store.getView().newDevices.size).toBe(0);
  });

  it('bumps the device set version for a new device, not when counts reorder the devices', () => {
    const store = loadedStore();
    const loaded = store.getView().deviceSetVersion;
    store.pushBatch(batch([queryEvent(2, T0 + 1000, PHONE)]));
    store.flush(T0 + 1000);
    const withPhone = store.getView();
    expect(withPhone.deviceSetVersion).toBeGreaterThan(loaded);
    // The phone overtakes the router, and the router overtakes it back: still the same two devices.
    store.pushBatch(batch([queryEvent(3, T0 + 2000, PHONE)]));
    store.flush(T0 + 2000);
    expect(store.getView().devices.map((d) => d.address)).toEqual([PHONE, ROUTER]);
    expect(store.getView().deviceSetVersion).toBe(withPhone.deviceSetVersion);
    store.pushBatch(batch([4, 5].map((s) => queryEvent(s, T0 + 3000, ROUTER))));
    store.flush(T0 + 3000);
    const after = store.getView();
    expect(after.devices.map((d) => d.address)).toEqual([ROUTER, PHONE]);
    expect(after.deviceSetVersion).toBe(withPhone.deviceSetVersion);
    store.applySnapshot(snapshotOf([queryEvent(6, T0 + 4000, ROUTER)], T0 + 4000), 60, T0 + 4000);
    store.flush(T0 + 4000);
    expect(store.getView().deviceSetVersion).toBeGreaterThan(after.deviceSetVersion);
  });

  it('ignores a batch delivered twice', () => {
    const store = loadedStore();
    const b = batch([queryEvent(2, T0 + 1000, ROUTER), queryEvent(3, T0 + 2000, PHONE)]);
    store.pushBatch(b);
    store.pushBatch(b);
    store.flush(T0 + 3000);
    const view = store.getView();
    expect(view.totalQueries).toBe(3);
    expect(view.duplicateEvents).toBe(2);
    expect(store.ring.newestFirst().map((e) => e.seq)).toEqual([3, 2, 1]);
  });

  it('merges several batches into one view change per flush', () => {
    const store = loadedStore();
    const before = store.getView();
    for (let s = 2; s <= 11; s++)
      store.pushBatch(batch([queryEvent(s, T0 + s * 100, s % 2 ? ROUTER : PHONE)]));
    expect(store.getView()).toBe(before);
    store.flush(T0 + 2000);
    const after = store.getView();
    expect(after.version).toBe(before.version + 1);
    expect(after.devices.map((d) => [d.address, d.queries])).toEqual([
      [ROUTER, 6],
      [PHONE, 5],
    ]);
    // Nothing new: the same view object, so React does not re-render.
    store.flush(T0 + 2100);
    expect(store.getView()).toBe(after);
  });

  it('aggregates events into per-device per-minute buckets on top of the snapshot buckets', () => {
    const history = [queryEvent(1, T0 + 5_000, ROUTER), queryEvent(2, T0 + 65_000, ROUTER)];
    const store = loadedStore(history);
    store.pushBatch(
      batch([
        queryEvent(3, T0 + 70_000, ROUTER),
        queryEvent(4, T0 + 71_000, PHONE),
        queryEvent(5, T0 + 125_000, PHONE),
      ]),
    );
    store.flush(T0 + 130_000);
    expect([...(store.get(T0) ?? [])]).toEqual([[ROUTER, 1]]);
    expect([...(store.get(T0 + MINUTE_MS) ?? [])]).toEqual([
      [ROUTER, 2],
      [PHONE, 1],
    ]);
    expect([...(store.get(T0 + 2 * MINUTE_MS) ?? [])]).toEqual([[PHONE, 1]]);
    expect(store.firstMinute()).toBe(T0);
  });

  it('keeps colors stable across a new snapshot', () => {
    const store = loadedStore([queryEvent(1, T0, ROUTER), queryEvent(2, T0 + 1, PHONE)]);
    const colors = Object.fromEntries(store.getView().devices.map((d) => [d.address, d.colorIndex]));
    store.beginSnapshot();
    store.applySnapshot(
      snapshotOf([queryEvent(2, T0 + 1, PHONE), queryEvent(3, T0 + 2, ROUTER)], T0),
      60,
      T0,
    );
    store.flush(T0);
    for (const d of store.getView().devices) expect(d.colorIndex).toBe(colors[d.address]);
  });

  it('bounds memory: the log ring, the minute buckets and the queue', () => {
    const store = loadedStore([queryEvent(1, T0, ROUTER)], 15);
    // Two hours of one query every 0.5 s, applied in 200 ms frames' worth of batches.
    let seq = 1;
    for (let t = T0; t < T0 + 2 * 3_600_000; t += 60_000) {
      const events = [];
      for (let i = 0; i < 120; i++) events.push(queryEvent(++seq, t + i * 500, ROUTER));
      store.pushBatch(batch(events));
      store.flush(t + 60_000);
    }
    expect(store.ring.size).toBe(LOG_RING_SIZE);
    expect(store.ring.newest()?.seq).toBe(seq);
    expect(store.bucketCount).toBeLessThanOrEqual(15);
    expect(store.getView().totalQueries).toBe(seq);

    const stalled = loadedStore();
    stalled.beginSnapshot();
    const flood = [];
    for (let i = 0; i <= MAX_QUEUED_EVENTS; i++) flood.push(queryEvent(10 + i, T0, ROUTER));
    stalled.pushBatch(batch(flood));
    expect(stalled.takeResync()).toBe(true);
    expect(stalled.takeResync()).toBe(false);
    stalled.flush(T0);
    expect(stalled.getView().droppedEvents).toBe(MAX_QUEUED_EVENTS + 1);
  });

  it('asks for a new snapshot when a batch reports dropped events', () => {
    const store = loadedStore();
    store.pushBatch(batch([queryEvent(9, T0 + 1000, ROUTER)], 7));
    store.flush(T0 + 1000);
    expect(store.takeResync()).toBe(true);
    expect(store.getView().droppedEvents).toBe(7);
  });

  it('follows status and warnings, and the engine clock', () => {
    const store = loadedStore();
    const status = {
      ...engineStatus(T0 + 10_000),
      warnings: [{ code: 'upstream-failing' as const, message: 'no answer', ts: T0 + 9_000, count: 3 }],
    };
    store.setStatus(status, T0 + 9_500);
    store.addWarning({ code: 'loop-detected', message: 'loop', ts: T0 + 9_900, count: 1 });
    store.flush(T0 + 10_000);
    const view = store.getView();
    expect(view.clockOffsetMs).toBe(500);
    expect(view.warnings.map((w) => w.code)).toEqual(['loop-detected', 'upstream-failing']);
    expect(view.captures.map((c) => c.id)).toEqual(['c1']);
  });
});
