import { describe, expect, it } from 'vitest';
import type { EventChannel, Events, RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import type { WatchAlert } from '@shared/watch/messages';
import type { WatchReport } from '@shared/watch/report';
import { BUILT_IN_RULES, type ActiveRule } from '@shared/watch/rules';
import type { Bridge, StreamState } from './bridge';
import { Dashboard, WATCH_REFRESH_MS } from './dashboard';
import { ManualTimers } from './manual-timers';
import { batch, queryEvent, snapshotOf } from './test-events';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ROUTER = '192.168.0.1';
const RULES: ActiveRule[] = BUILT_IN_RULES.map((r) => ({ ...r, builtIn: true, block: 'off' }));

/** A bridge that answers the watchlist requests from memory and records what was asked. */
class WatchEngine implements Bridge {
  readonly transport = 'websocket' as const;
  readonly asked: string[] = [];
  report: WatchReport = { windowMs: 60_000, rules: [], markers: [], effects: [] };
  rules = RULES;
  private readonly handlers = new Map<string, Set<(p: never) => void>>();
  private readonly connection = new Set<(s: StreamState) => void>();

  constructor(private readonly timers: ManualTimers) {}

  async invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
    this.asked.push(channel);
    const answer = (v: unknown) => v as RequestResult<K>;
    switch (channel) {
      case 'capture:snapshot':
        return answer(
          snapshotOf([queryEvent(1, T0 - 1000, ROUTER, { watchRule: 'avira-safethings' })], this.timers.now),
        );
      case 'watch:report':
        return answer(this.report);
      case 'watch:rules':
        return answer(this.rules);
      case 'watch-settings:get':
        return answer({ routerModel: 'Deco X68 v1' });
      case 'watch:minutes':
        return answer({
          lastSeq: 1,
          minutes: [{ minute: T0 - 60_000, counts: [{ rule: 'avira-safethings', client: ROUTER, n: 1 }] }],
        });
      case 'watch:update': {
        const { id, ...change } = args as RequestArgs<'watch:update'>;
        return answer({ ...this.rules.find((r) => r.id === id)!, ...change });
      }
      case 'marker:add': {
        const marker = { id: 'm-1', ts: this.timers.now, label: (args as RequestArgs<'marker:add'>).label };
        this.report = { ...this.report, markers: [marker] };
        return answer(marker);
      }
      default:
        throw new Error(`not supported here: ${channel}`);
    }
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

  open(): void {
    for (const l of this.connection) l('open');
  }

  emit<K extends EventChannel>(channel: K, payload: Events[K]): void {
    for (const l of this.handlers.get(channel) ?? []) (l as (p: Events[K]) => void)(payload);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function setup() {
  const timers = new ManualTimers();
  timers.now = T0;
  const engine = new WatchEngine(timers);
  const dashboard = new Dashboard(engine, {
    now: () => timers.now,
    requestFrame: (cb) => timers.requestFrame(cb),
    cancelFrame: (h) => timers.cancelFrame(h),
    setTimeout: (cb, ms) => timers.setTimeout(cb, ms),
    clearTimeout: (h) => timers.clearTimeout(h),
  });
  dashboard.start();
  return { timers, engine, dashboard };
}

describe('Dashboard watchlist', () => {
  it('loads the report, rules, settings and per-minute counts when the stream opens, then follows live events', async () => {
    const { timers, engine, dashboard } = setup();
    engine.open();
    await settle();
    timers.frame();
    const view = dashboard.getWatchView();
    expect(view.error).toBe('');
    expect(view.rules).toBe(RULES);
    expect(view.settings).toEqual({ routerModel: 'Deco X68 v1' });
    expect(view.report).toEqual(engine.report);
    expect(engine.asked).toEqual(
      expect.arrayContaining([
        'capture:snapshot',
        'watch:report',
        'watch:rules',
        'watch-settings:get',
        'watch:minutes',
      ]),
    );
    const counts = () => dashboard.watch.buckets.counts(() => true);
    expect(
      counts()
        .get(T0 - 60_000)
        ?.get(ROUTER),
    ).toBe(1);

    // A live watched query is counted once; the pushed report replaces the old one.
    engine.emit('query:batch', batch([queryEvent(2, T0, ROUTER, { watchRule: 'avira-safethings' })]));
    timers.frame();
    expect(counts().get(T0)?.get(ROUTER)).toBe(1);
    const pushed = { ...engine.report, windowMs: 120_000 };
    engine.emit('watch:report', pushed);
    timers.frame();
    expect(dashboard.getWatchView().report).toBe(pushed);

    // The router's first contact: a toast.
    const alert: WatchAlert = {
      rule: 'avira-safethings',
      vendor: 'Avira',
      integration: 'SafeThings',
      category: 'security-cloud',
      address: ROUTER,
      ts: T0,
      message: 'Your router 192.168.0.1 contacted Avira SafeThings.',
    };
    engine.emit('watch:alert', alert);
    timers.frame();
    expect(dashboard.getWatchView().toasts.map((t) => t.alert)).toEqual([alert]);
  });

  it('asks for the report again after a while without pushes, and after a marker', async () => {
    const { timers, engine, dashboard } = setup();
    engine.open();
    await settle();
    timers.frame();
    const before = engine.asked.filter((c) => c === 'watch:report').length;
    timers.advance(WATCH_REFRESH_MS);
    engine.emit('engine:status', snapshotOf([], timers.now).status);
    timers.frame();
    await settle();
    expect(engine.asked.filter((c) => c === 'watch:report').length).toBe(before + 1);
    await dashboard.addMarker('HomeShield switched off');
    expect(dashboard.getWatchView().report?.markers.map((m) => m.label)).toEqual(['HomeShield switched off']);
    await dashboard.updateRule('avira-safethings', { block: 'nxdomain' });
    expect(dashboard.getWatchView().rulesById.get('avira-safethings')?.block).toBe('nxdomain');
  });

  it('shows a failed watchlist request in the watchlist, not as a page error', async () => {
    const { timers, engine, dashboard } = setup();
    engine.rules = undefined as unknown as ActiveRule[];
    const invoke = engine.invoke.bind(engine);
    engine.invoke = (async (channel: RequestChannel, args: never) => {
      if (channel === 'watch:rules') throw new Error('engine busy');
      return invoke(channel, args);
    }) as typeof engine.invoke;
    engine.open();
    await settle();
    timers.frame();
    expect(dashboard.getWatchView().error).toBe('Could not load the watchlist: engine busy');
    expect(dashboard.getView().error).toBe('');
  });
});
