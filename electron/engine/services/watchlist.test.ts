import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchAlert } from '@shared/watch/messages';
import { FakeClock } from '../fake-clock';
import { WatchService } from '../watch';
import { Emitter, type EngineEvents } from './events';
import { rec } from './test-support';
import { INSIGHTS_DIRTY_MS, WATCH_REPORT_MS, WatchlistService } from './watchlist';

const ROUTER = '192.168.0.1';
const ROUTER6 = 'fd00::1';
const PHONE = '192.168.0.23';
const SAFE = { qname: 'a.safethings.avira.com', watchRule: 'avira-safethings' };

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-watchlist-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The service over an empty capture, with `routers` as the router's addresses. */
async function service(routers: string[] = [ROUTER, ROUTER6]) {
  const events = new Emitter<EngineEvents>();
  const warnings: string[] = [];
  const clock = new FakeClock();
  const watch = await WatchService.open({ dataDir: dir });
  const watchlist = new WatchlistService({
    watch,
    store: {
      captures: () => [],
      clients: () => [],
      lastSeq: () => 0,
      scanSince: () => null,
      forEachWatched: () => undefined,
    },
    devices: { get: (a) => ({ isRouter: routers.includes(a) }), routerAddresses: () => routers },
    events,
    clock,
    warn: (_code, message) => warnings.push(message),
  });
  return { events, watchlist, warnings, clock };
}

describe('WatchlistService', () => {
  it('alerts once per rule and router address, never for another device or while no capture runs', async () => {
    const { events, watchlist } = await service();
    const alerts: WatchAlert[] = [];
    events.on('watchAlert', (a) => alerts.push(a));

    watchlist.record(rec({ ...SAFE, client: ROUTER }), false);
    expect(alerts).toEqual([]);
    watchlist.record(rec({ ...SAFE, client: PHONE }), true);
    watchlist.record(rec({ ...SAFE, client: ROUTER }), true);
    watchlist.record(rec({ ...SAFE, client: ROUTER, ts: rec().ts + 60_000 }), true);
    watchlist.record(rec({ ...SAFE, client: ROUTER6 }), true);

    expect(alerts.map((a) => a.address)).toEqual([ROUTER, ROUTER6]);
    expect(alerts[0]).toMatchObject({ rule: 'avira-safethings', vendor: 'Avira', ts: rec().ts });
    expect(alerts[0]!.message).toMatch(/^Your router 192\.168\.0\.1 contacted Avira /);
    // The phone's query counts, the one while no capture ran does not.
    expect(watchlist.minutes(0).minutes.reduce((n, m) => n + m.counts.reduce((k, c) => k + c.n, 0), 0)).toBe(
      4,
    );
  });

  it('pushes one report per 2 s however many watched queries arrive, and none without a listener', async () => {
    const { events, watchlist, warnings, clock } = await service();
    watchlist.record(rec({ ...SAFE, client: ROUTER }), true);
    clock.advance(WATCH_REPORT_MS * 2);

    const reports: number[] = [];
    events.on('watchReport', () => reports.push(clock.now()));
    for (let i = 0; i < 5; i++) watchlist.record(rec({ ...SAFE, client: ROUTER, ts: rec().ts + i }), true);
    clock.advance(WATCH_REPORT_MS - 1);
    expect(reports).toHaveLength(0);
    clock.advance(1);
    expect(reports).toHaveLength(1);
    clock.advance(WATCH_REPORT_MS * 3);
    expect(reports).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('lets ordinary queries refresh the report at most every 10 s of query time', async () => {
    const { events, watchlist, clock } = await service();
    let reports = 0;
    events.on('watchReport', () => reports++);
    const t0 = rec().ts;
    const browse = (dt: number) => {
      watchlist.record(rec({ ts: t0 + dt }), true);
      clock.advance(WATCH_REPORT_MS);
    };
    browse(0);
    browse(INSIGHTS_DIRTY_MS - 1);
    expect(reports).toBe(1);
    browse(INSIGHTS_DIRTY_MS);
    expect(reports).toBe(2);
  });
});
