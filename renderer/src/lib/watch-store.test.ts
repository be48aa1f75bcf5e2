import { describe, expect, it } from 'vitest';
import type { WatchAlert } from '@shared/watch/messages';
import { BUILT_IN_RULES, type ActiveRule } from '@shared/watch/rules';
import { MINUTE_MS } from '@shared/time';
import { buildChart, WATCH_OTHER_KEY, WATCH_ROUTER_KEY } from './chart-series';
import { queryEvent } from './test-events';
import { WatchBuckets } from './watch-buckets';
import { MAX_TOASTS, TOAST_MS, WatchStore } from './watch-store';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ROUTER = '192.168.0.1';
const PHONE = '192.168.0.23';
const RULES: ActiveRule[] = BUILT_IN_RULES.map((r) => ({ ...r, builtIn: true, block: 'off' }));

const watched = (seq: number, ts: number, client: string, rule = 'avira-safethings') =>
  queryEvent(seq, ts, client, { watchRule: rule });

describe('WatchBuckets', () => {
  it('loads the counts, then adds only live watched events above the loaded seq', () => {
    const b = new WatchBuckets();
    expect(b.fold([watched(1, T0, ROUTER)])).toBe(false); // nothing counted before the first load
    b.apply(
      {
        lastSeq: 10,
        minutes: [{ minute: T0, counts: [{ rule: 'avira-safethings', client: ROUTER, n: 60 }] }],
      },
      // Applied while the request was on its way: seq 10 is in the counts already, 11 is not.
      [watched(10, T0 + 1000, ROUTER), watched(11, T0 + MINUTE_MS, ROUTER)],
    );
    const all = b.counts(() => true);
    expect(all.get(T0)?.get(ROUTER)).toBe(60);
    expect(all.get(T0 + MINUTE_MS)?.get(ROUTER)).toBe(1);
    const version = b.version;
    expect(b.fold([watched(11, T0 + MINUTE_MS, ROUTER), queryEvent(12, T0 + MINUTE_MS, PHONE)])).toBe(false);
    expect(b.version).toBe(version);
    expect(
      b.fold([
        watched(13, T0 + MINUTE_MS + 1, PHONE),
        watched(14, T0 + MINUTE_MS + 2, ROUTER, 'tplink-www-connectivity'),
      ]),
    ).toBe(true);
    const later = b.counts(() => true).get(T0 + MINUTE_MS);
    expect(Object.fromEntries(later ?? [])).toEqual({ [ROUTER]: 2, [PHONE]: 1 });
    // A rule filter leaves connectivity checks out.
    const alarming = b.counts((rule) => rule !== 'tplink-www-connectivity').get(T0 + MINUTE_MS);
    expect(Object.fromEntries(alarming ?? [])).toEqual({ [ROUTER]: 1, [PHONE]: 1 });
    expect(b.counts(() => true).firstMinute()).toBe(T0);
  });

  it('feeds the chart a hatched router series and an other-devices series over the stacked devices', () => {
    const b = new WatchBuckets();
    b.apply(
      {
        lastSeq: 0,
        minutes: [
          {
            minute: T0,
            counts: [
              { rule: 'avira-safethings', client: ROUTER, n: 58 },
              { rule: 'avira-safethings', client: PHONE, n: 2 },
            ],
          },
        ],
      },
      [],
    );
    const all = new Map([
      [
        T0,
        new Map([
          [ROUTER, 70],
          [PHONE, 10],
        ]),
      ],
    ]);
    const model = buildChart({
      counts: { get: (m) => all.get(m), firstMinute: () => T0 },
      window: { from: T0, to: T0 + 15 * MINUTE_MS },
      devices: [
        { address: ROUTER, queries: 70, firstSeen: T0, lastSeen: T0, colorIndex: 0 },
        { address: PHONE, queries: 10, firstSeen: T0, lastSeen: T0, colorIndex: 1 },
      ],
      selected: null,
      routers: new Set([ROUTER]),
      watch: b.counts(() => true),
    });
    expect(model.series.map((s) => [s.kind, s.label])).toEqual([
      ['device', ROUTER],
      ['device', PHONE],
      ['watch-router', 'Watchlist (router)'],
      ['watch-other', 'Watchlist (other devices)'],
    ]);
    expect(model.points[0]).toMatchObject({ s0: 70, s1: 10, [WATCH_ROUTER_KEY]: 58, [WATCH_OTHER_KEY]: 2 });
    expect(model.total).toBe(80);
    expect(model.watched).toBe(60);
    // Only the selected device: its watchlist part alone.
    const one = buildChart({
      counts: { get: (m) => all.get(m), firstMinute: () => T0 },
      window: { from: T0, to: T0 + 15 * MINUTE_MS },
      devices: [{ address: PHONE, queries: 10, firstSeen: T0, lastSeen: T0, colorIndex: 1 }],
      selected: PHONE,
      routers: new Set([ROUTER]),
      watch: b.counts(() => true),
    });
    expect(one.series.map((s) => s.label)).toEqual([PHONE, 'Watchlist']);
    expect(one.watched).toBe(2);
  });
});

describe('WatchStore', () => {
  const alert = (rule: string, address = ROUTER): WatchAlert => ({
    rule,
    vendor: 'Avira',
    integration: 'SafeThings',
    category: RULES.find((r) => r.id === rule)?.category ?? 'security-cloud',
    address,
    ts: T0,
    message: `Your router ${address} contacted ${rule}.`,
  });

  it('keeps a connectivity check calm before the rules have loaded', () => {
    // A page that is still connecting gets the alert before the rule list: the alert says its category.
    const w = new WatchStore();
    w.addAlert(alert('tplink-www-connectivity'), T0);
    expect(w.getView().toasts).toHaveLength(0);
    w.addAlert(alert('avira-safethings'), T0);
    expect(w.getView().toasts.map((t) => t.alert.rule)).toEqual(['avira-safethings']);
  });

  it('shows alerts as toasts, newest last and bounded, until dismissed or expired', () => {
    const w = new WatchStore();
    w.setRules(RULES);
    const first = w.getView();
    w.addAlert(alert('avira-safethings'), T0);
    expect(w.getView()).not.toBe(first);
    expect(w.getView().toasts.map((t) => t.alert.rule)).toEqual(['avira-safethings']);
    // A connectivity check is no alarm.
    w.addAlert(alert('tplink-www-connectivity'), T0);
    expect(w.getView().toasts).toHaveLength(1);
    for (const [i, rule] of ['tplink-cloud', 'tplink-nbu-homecare', 'netgear-ngxcld'].entries())
      w.addAlert(alert(rule), T0 + (i + 1) * 1000);
    expect(w.getView().toasts.map((t) => t.alert.rule)).toEqual([
      'tplink-cloud',
      'tplink-nbu-homecare',
      'netgear-ngxcld',
    ]);
    expect(w.getView().toasts).toHaveLength(MAX_TOASTS);
    w.dismiss(w.getView().toasts[0]!.id);
    expect(w.getView().toasts).toHaveLength(2);
    expect(w.expire(T0 + 2000 + TOAST_MS)).toBe(true);
    expect(w.getView().toasts.map((t) => t.alert.rule)).toEqual(['netgear-ngxcld']);
    // Unchanged state keeps the same view object (React re-renders on identity).
    const view = w.getView();
    expect(w.expire(T0 + 2000 + TOAST_MS)).toBe(false);
    expect(w.getView()).toBe(view);
  });

  it('puts a changed rule in place and a new one at the end', () => {
    const w = new WatchStore();
    w.setRules(RULES);
    w.upsertRule({ ...RULES[0]!, block: 'nxdomain' });
    expect(w.getView().rules[0]!.block).toBe('nxdomain');
    expect(w.getView().rulesById.get(RULES[0]!.id)!.block).toBe('nxdomain');
    w.upsertRule({ ...RULES[0]!, id: 'user-1', builtIn: false });
    expect(w.getView().rules.at(-1)!.id).toBe('user-1');
    expect(w.getView().rules).toHaveLength(RULES.length + 1);
  });
});
