import { describe, expect, it } from 'vitest';
import type { CaptureInfo } from '@shared/events';
import { MINUTE_MS } from '@shared/time';
import { DashboardState, type DeviceTotals } from './dashboard-state';
import {
  autoRange,
  MAX_POINTS,
  OTHER_COLOR,
  buildChart,
  currentCapture,
  deviceColor,
  rangeWindow,
  snapshotMinutesFor,
  sparkline,
  timeTicks,
} from './chart-series';
import { queryEvent, snapshotOf } from './test-events';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function storeWith(events: ReturnType<typeof queryEvent>[], now: number): DashboardState {
  const store = new DashboardState();
  store.applySnapshot(snapshotOf(events, now), 0, now);
  store.flush(now);
  return store;
}

describe('autoRange', () => {
  const start = Date.UTC(2026, 10, 23, 10, 0);
  it('shows a new capture whole until it has 15 minutes of data, then the last hour', () => {
    expect(autoRange(undefined, start)).toBe('capture');
    expect(autoRange(start, start + 2 * MINUTE_MS)).toBe('capture');
    expect(autoRange(start, start + 15 * MINUTE_MS - 1)).toBe('capture');
    expect(autoRange(start, start + 15 * MINUTE_MS)).toBe('1h');
  });
});

describe('rangeWindow', () => {
  const running: CaptureInfo = {
    id: 'a',
    state: 'running',
    startedAt: T0 - 90 * MINUTE_MS,
    stoppedAt: 0,
    queries: 0,
  };
  const stopped: CaptureInfo = {
    id: 'b',
    state: 'stopped',
    startedAt: T0 - 300 * MINUTE_MS,
    stoppedAt: T0 - 200 * MINUTE_MS + 5_000,
    queries: 0,
  };

  it('ends after the current minute for the fixed ranges', () => {
    expect(rangeWindow('15m', T0 + 30_000, [], undefined)).toEqual({
      from: T0 - 14 * MINUTE_MS,
      to: T0 + MINUTE_MS,
      live: true,
    });
    expect(rangeWindow('24h', T0, [], undefined).from).toBe(T0 + MINUTE_MS - 24 * 60 * MINUTE_MS);
  });

  it('covers the running capture, else the latest stopped one, else everything held', () => {
    expect(rangeWindow('capture', T0, [stopped, running], undefined)).toEqual({
      from: T0 - 90 * MINUTE_MS,
      to: T0 + MINUTE_MS,
      live: true,
    });
    // A stopped capture's window is closed: it does not move with the clock.
    expect(rangeWindow('capture', T0, [stopped], undefined)).toEqual({
      from: T0 - 300 * MINUTE_MS,
      to: T0 - 199 * MINUTE_MS,
      live: false,
    });
    expect(rangeWindow('capture', T0, [], T0 - 40 * MINUTE_MS).from).toBe(T0 - 40 * MINUTE_MS);
    // A capture one minute old still gets a 15-minute window.
    const fresh = { ...running, startedAt: T0 - 30_000 };
    expect(rangeWindow('capture', T0, [fresh], undefined).from).toBe(T0 - 14 * MINUTE_MS);
    expect(currentCapture([stopped, running])?.id).toBe('a');
    expect(currentCapture([])).toBeNull();
  });

  it('asks for at least a day of buckets and more for long captures', () => {
    expect(snapshotMinutesFor({ from: T0 - 14 * MINUTE_MS, to: T0 + MINUTE_MS }, T0)).toBe(24 * 60);
    expect(snapshotMinutesFor({ from: T0 - 3 * 24 * 60 * MINUTE_MS, to: T0 + MINUTE_MS }, T0)).toBe(
      3 * 24 * 60 + 1,
    );
  });
});

describe('buildChart', () => {
  it('stacks one series per device with per-minute counts', () => {
    const events = [
      queryEvent(1, T0 + 1_000, '10.0.0.1'),
      queryEvent(2, T0 + 2_000, '10.0.0.1'),
      queryEvent(3, T0 + 61_000, '10.0.0.2'),
    ];
    const store = storeWith(events, T0 + 120_000);
    const chart = buildChart({
      counts: store,
      window: { from: T0, to: T0 + 3 * MINUTE_MS },
      devices: store.getView().devices,
      selected: null,
    });
    expect(chart.stepMinutes).toBe(1);
    expect(chart.series.map((s) => [s.key, s.label])).toEqual([
      ['s0', '10.0.0.1'],
      ['s1', '10.0.0.2'],
    ]);
    expect(chart.points).toEqual([
      { t: T0, s0: 2, s1: 0 },
      { t: T0 + MINUTE_MS, s0: 0, s1: 1 },
      { t: T0 + 2 * MINUTE_MS, s0: 0, s1: 0 },
    ]);
    expect(chart.total).toBe(3);
  });

  it('shows only the selected device, even when it has no queries in the window', () => {
    const store = storeWith([queryEvent(1, T0, '10.0.0.1'), queryEvent(2, T0, '10.0.0.2')], T0);
    const window = { from: T0, to: T0 + MINUTE_MS };
    const devices = store.getView().devices;
    const one = buildChart({ counts: store, window, devices, selected: '10.0.0.2' });
    expect(one.series.map((s) => s.label)).toEqual(['10.0.0.2']);
    const named = buildChart({
      counts: store,
      window,
      devices,
      selected: null,
      labels: new Map([['10.0.0.2', 'Router']]),
      routers: new Set(['10.0.0.2']),
    });
    expect(named.series.map((s) => [s.label, s.router])).toContainEqual(['Router', true]);
    expect(named.series.filter((s) => s.router)).toHaveLength(1);
    expect(one.points).toEqual([{ t: T0, s0: 1 }]);
    const none = buildChart({
      counts: store,
      window: { from: T0 + MINUTE_MS, to: T0 + 2 * MINUTE_MS },
      devices,
      selected: '10.0.0.9',
    });
    expect(none.series.map((s) => s.label)).toEqual(['10.0.0.9']);
    expect(none.total).toBe(0);
  });

  it('sums devices beyond the series limit into "Other" and keeps device colors', () => {
    const events = [];
    for (let d = 1; d <= 5; d++)
      for (let i = 0; i < d; i++) events.push(queryEvent(events.length + 1, T0 + i, `10.0.0.${d}`));
    const store = storeWith(events, T0);
    const devices: readonly DeviceTotals[] = store.getView().devices;
    const chart = buildChart({
      counts: store,
      window: { from: T0, to: T0 + MINUTE_MS },
      devices,
      selected: null,
      maxSeries: 3,
    });
    expect(chart.series.map((s) => s.label)).toEqual(['10.0.0.5', '10.0.0.4', '3 other devices']);
    expect(chart.series[2]?.color).toBe(OTHER_COLOR);
    expect(chart.series[0]?.color).toBe(
      deviceColor(devices.find((d) => d.address === '10.0.0.5')?.colorIndex ?? -1),
    );
    expect(chart.points[0]).toEqual({ t: T0, s0: 5, s1: 4, other: 6 });
  });

  it('bounds the number of points and averages per minute over wider steps', () => {
    const events = [];
    // One query per minute for three days.
    for (let m = 0; m < 3 * 24 * 60; m++) events.push(queryEvent(m + 1, T0 + m * MINUTE_MS, '10.0.0.1'));
    const now = T0 + 3 * 24 * 60 * MINUTE_MS;
    const store = storeWith(events, now);
    const chart = buildChart({
      counts: store,
      window: { from: T0, to: now },
      devices: store.getView().devices,
      selected: null,
    });
    expect(chart.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(chart.stepMinutes).toBe(6);
    expect(chart.points.every((p) => p.s0 === 1)).toBe(true);
    expect(chart.total).toBe(3 * 24 * 60);
  });
});

describe('sparkline', () => {
  it('gives the last minutes of one client, oldest first, zeros where idle', () => {
    const store = storeWith(
      [queryEvent(1, T0, 'a'), queryEvent(2, T0 + 2 * MINUTE_MS, 'a')],
      T0 + 2 * MINUTE_MS,
    );
    expect(sparkline(store, 'a', T0 + 2 * MINUTE_MS + 5, 4)).toEqual([0, 1, 0, 1]);
  });
});

describe('timeTicks', () => {
  it('picks the smallest round step that fits and aligns ticks to the local clock', () => {
    const window = { from: T0 - 14 * MINUTE_MS, to: T0 + MINUTE_MS };
    expect(timeTicks(window, 12, 0).map((t) => (t - T0) / MINUTE_MS)).toEqual([
      -14, -12, -10, -8, -6, -4, -2, 0,
    ]);
    const hour = { from: T0 - 59 * MINUTE_MS, to: T0 + MINUTE_MS };
    expect(timeTicks(hour, 6, 0).map((t) => (t - T0) / MINUTE_MS)).toEqual([-50, -40, -30, -20, -10, 0]);
    // UTC+05:45: local ten-minute marks fall on :05, :15, … UTC.
    expect(timeTicks(hour, 6, 345).map((t) => (t - T0) / MINUTE_MS)).toEqual([-55, -45, -35, -25, -15, -5]);
    const day = { from: T0 - 24 * 60 * MINUTE_MS, to: T0 };
    const ticks = timeTicks(day, 12, 60);
    expect(ticks.length).toBeLessThanOrEqual(12);
    expect(ticks.every((t) => (t + 60 * MINUTE_MS) % (120 * MINUTE_MS) === 0)).toBe(true);
  });

  it('uses whole days for long captures', () => {
    const long = { from: T0 - 100 * 24 * 60 * MINUTE_MS, to: T0 };
    const ticks = timeTicks(long, 7, 0);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks.length).toBeGreaterThan(2);
  });
});
