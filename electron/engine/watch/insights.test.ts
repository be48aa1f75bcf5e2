import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '@shared/watch/correlation';
import { CaptureStore } from '../capture';
import { exchange, tempDir } from '../capture/test-support';
import { clockAt } from '../fake-clock';
import { InsightsTracker, type InsightsRequest } from './insights';
import { WatchService } from './watch-service';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ROUTER = '192.168.0.1';
const PHONE = '192.168.0.23';
const LAPTOP = '192.168.0.42';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
let now = T0;
let store: CaptureStore;
let watch: WatchService;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dnsw-insights-'));
  now = T0;
  store = await CaptureStore.open({ dataDir: dir, retentionDays: 0, clock: clockAt(() => now) });
  watch = await WatchService.open({ dataDir: dir });
  store.start();
});
afterEach(async () => {
  await store.close();
  await cleanup();
});

/** What the engine does with each answered query: record it, and note it for the watchlist. */
function ask(ts: number, client: string, qname: string, over: { qtype?: string; error?: string } = {}): void {
  const rule = watch.classify(qname).rule;
  store.record(exchange({ ts, client, qname, watchRule: rule, ...over }));
  watch.observe(ts, client, rule, qname);
}

function request(over: Partial<InsightsRequest> = {}): InsightsRequest {
  const routers = over.routers ?? [ROUTER];
  return {
    routers,
    clients: store.clients().map((c) => ({ ...c, isRouter: routers.includes(c.address) })),
    blockedRules: new Map(),
    recordingMs: now - T0,
    now,
    ...over,
  };
}

/**
 * An hour on a synthetic clock: the phone and the laptop visit a new site every ~40 s and re-ask known ones;
 * the router looks up a SafeThings name 0.2–1 s after each of the phone's new sites only, and checks
 * connectivity (dns.msftncsi.com) every 5 s regardless.
 */
function household(seed = 3): void {
  const r = seededRandom(seed);
  const events: [number, string, string][] = [];
  for (const device of [PHONE, LAPTOP]) {
    let t = T0;
    for (let i = 0; t < T0 + 3_600_000; i++) {
      t += -Math.log(1 - r()) * 40_000;
      events.push([t, device, `site${i}.${device === PHONE ? 'phone' : 'laptop'}.example.com`]);
      events.push([
        t + 4000,
        device,
        `site${Math.max(0, i - 1)}.${device === PHONE ? 'phone' : 'laptop'}.example.com`,
      ]);
      if (device === PHONE) events.push([t + 200 + r() * 800, ROUTER, `q${i}x${seed}.safethings.avira.com`]);
    }
  }
  for (let t = T0 + 1234; t < T0 + 3_600_000; t += 5000) events.push([t, ROUTER, 'dns.msftncsi.com']);
  events.sort((a, b) => a[0] - b[0]);
  for (const [t, client, name] of events) ask(t, client, name);
  now = T0 + 3_600_000;
}

describe('InsightsTracker', () => {
  it('the router following the phone: high for SafeThings, chance-level for the connectivity check', () => {
    household();
    const tracker = new InsightsTracker(store, watch);
    const { correlation, visibility } = tracker.insights(request());
    const safe = correlation.find((c) => c.rule === 'avira-safethings')!;
    const probe = correlation.find((c) => c.rule === 'asus-dns-probe')!;
    console.log(
      `SafeThings followed ${(safe.followedShare * 100).toFixed(0)} % (chance ${(safe.chanceShare * 100).toFixed(0)} %); ` +
        `msftncsi followed ${(probe.followedShare * 100).toFixed(0)} % (chance ${(probe.chanceShare * 100).toFixed(0)} %)`,
    );
    expect(safe.followedShare).toBe(1);
    expect(safe.chanceShare).toBeLessThan(0.25);
    expect(safe.verdict).toBe('tracks-browsing');
    expect(safe.viaRouter).toBe(false);
    expect(safe.routers).toEqual([ROUTER]);
    // The phone's lookups are the ones followed; the laptop's only by coincidence.
    expect(safe.devices[0]).toMatchObject({ address: PHONE, followedShare: 1 });
    expect(safe.devices[1]!.address).toBe(LAPTOP);
    expect(safe.devices[1]!.followedShare).toBeLessThan(0.3);
    expect(Math.abs(probe.followedShare - probe.chanceShare)).toBeLessThan(0.1);
    expect(probe.verdict).toBe('independent');
    expect(visibility).toEqual([]);
  });

  it('reads only new rows on later calls, and starts over when the router changes', () => {
    household();
    const tracker = new InsightsTracker(store, watch);
    tracker.insights(request());
    const first = tracker.rowsRead;
    expect(first).toBe(store.total());
    ask(now + 1000, PHONE, 'brand-new.example.org');
    ask(now + 1500, ROUTER, 'late.safethings.avira.com');
    now += 2000;
    const after = tracker.insights(request());
    expect(tracker.rowsRead).toBe(first + 2);
    expect(after.correlation.find((c) => c.rule === 'avira-safethings')!.followed).toBeGreaterThan(0);
    // The laptop named as the router: every row is read again under the new router set.
    const asLaptop = tracker.insights(request({ routers: [LAPTOP] }));
    expect(tracker.rowsRead).toBe(2 * (first + 2));
    expect(asLaptop.correlation).toEqual([]);
  });

  it('reads a long capture in slices between turns of the event loop, with the same figures', async () => {
    household();
    const whole = new InsightsTracker(store, watch).insights(request());
    const sliced = new InsightsTracker(store, watch);
    const total = store.total();
    // A budget of 100 rows: nothing yet, flagged pending, and a catch-up that yields between slices.
    const first = sliced.insights(request({ maxRows: 100 }));
    expect(first).toMatchObject({ correlation: [], pending: true });
    expect(sliced.rowsRead).toBe(100);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    await new Promise<void>((done) => sliced.catchUp(() => [ROUTER], 100, done));
    clearInterval(counting);
    expect(sliced.rowsRead).toBe(total);
    // Timers ran while it read: the loop was free between slices.
    expect(turns).toBeGreaterThan(0);
    const after = sliced.insights(request({ maxRows: 100 }));
    expect(after.pending).toBeUndefined();
    expect(after.correlation).toEqual(whole.correlation);
    expect(after.lookupShape).toEqual(whole.lookupShape);
  });

  it('gives the same figures after a catch-up trimmed its arrays, and after more rows come in', async () => {
    // Enough of the router's lookups and of new domains for the trim to give room back (3,000 of each).
    for (let i = 0; i < 3000; i++) {
      ask(T0 + i * 1000, PHONE, `n${i}.phone.example.com`);
      ask(T0 + i * 1000 + 300, ROUTER, `q${i}.safethings.avira.com`);
    }
    now = T0 + 3_000_000;
    const sliced = new InsightsTracker(store, watch);
    await new Promise<void>((done) => sliced.catchUp(() => [ROUTER], 500, done));
    const whole = new InsightsTracker(store, watch).insights(request());
    expect(sliced.insights(request())).toEqual(whole);
    // Past the trimmed room: the arrays grow again and the figures still match a fresh read.
    for (let i = 3000; i < 4000; i++) {
      ask(T0 + i * 1000, PHONE, `n${i}.phone.example.com`);
      ask(T0 + i * 1000 + 300, ROUTER, `q${i}.safethings.avira.com`);
    }
    now = T0 + 4_000_000;
    const fresh = new InsightsTracker(store, watch).insights(request());
    expect(sliced.insights(request())).toEqual(fresh);
    expect(fresh.correlation.find((c) => c.rule === 'avira-safethings')!.followed).toBeGreaterThan(0);
  });

  it('follows the store across captures, and starts over when retention deletes one', async () => {
    await store.close();
    store = await CaptureStore.open({ dataDir: dir, retentionDays: 1, clock: clockAt(() => now) });
    store.start();
    ask(now, PHONE, 'a.example.com');
    ask(now + 500, ROUTER, 'a1.safethings.avira.com');
    const tracker = new InsightsTracker(store, watch);
    tracker.insights(request());
    expect(tracker.rowsRead).toBe(2);
    await store.stop();
    now += 60_000;
    store.start();
    ask(now, PHONE, 'b.example.com');
    tracker.insights(request());
    // Only the new capture's row was read.
    expect(tracker.rowsRead).toBe(3);
    await store.stop();
    now += 3 * 86_400_000;
    store.start();
    ask(now, PHONE, 'c.example.com');
    // The two captures above, and the empty one beforeEach started (closed while running, so stopped on load).
    expect(await store.applyRetention()).toHaveLength(3);
    const after = tracker.insights(request());
    // The cursor into the deleted captures is refused: the one row left is read from the start.
    expect(tracker.rowsRead).toBe(4);
    expect(store.total()).toBe(1);
    expect(after.lookupShape).toEqual([]);
  });

  it('the lookup shape: SafeThings names one per visit, the connectivity check one name', () => {
    household();
    const shape = new InsightsTracker(store, watch).insights(request()).lookupShape;
    const avira = shape.find((d) => d.domain === 'avira.com')!;
    expect(avira.rule).toBe('avira-safethings');
    expect(avira.distinctNames).toBe(avira.queries);
    expect(avira.distinctPerHour).toBeGreaterThan(50);
    const ms = shape.find((d) => d.domain === 'msftncsi.com')!;
    expect(ms).toMatchObject({ rule: 'asus-dns-probe', distinctNames: 1, encoded: false, txtShare: 0 });
  });

  it('flags encoded lookups: hashed TXT names from the router', () => {
    const r = seededRandom(9);
    for (let i = 0; i < 100; i++) {
      const hex = Array.from({ length: 20 }, () => Math.floor(r() * 16).toString(16)).join('');
      ask(T0 + i * 2000, ROUTER, `${hex}.wrs.trendmicro.com`, { qtype: i % 2 ? 'TXT' : 'A' });
    }
    now = T0 + 200_000;
    const [tm] = new InsightsTracker(store, watch).insights(request()).lookupShape;
    expect(tm).toMatchObject({
      domain: 'trendmicro.com',
      rule: 'tm-wrs-dns-zone',
      encoded: true,
      txtShare: 0.5,
    });
  });

  it('says when the router sends nothing itself after a few minutes', () => {
    for (let i = 0; i < 20; i++) ask(T0 + i * 10_000, PHONE, `s${i}.example.com`);
    now = T0 + 2 * 60_000;
    const tracker = new InsightsTracker(store, watch);
    expect(tracker.insights(request()).visibility).toEqual([]);
    now = T0 + 4 * 60_000;
    const [check] = tracker.insights(request()).visibility;
    expect(check).toMatchObject({ code: 'router-silent', severity: 'warning', address: ROUTER });
    expect(check!.message).toContain('DNS-over-TLS');
  });

  it('a router proxying every device: attribution hint, and its own lookups stand in for the devices’', () => {
    const r = seededRandom(4);
    let t = T0;
    for (let i = 0; i < 60; i++) {
      t += 20_000 + r() * 20_000;
      ask(t, ROUTER, `www.site${i}.example`);
      ask(t + 300 + r() * 500, ROUTER, `p${i}.safethings.avira.com`);
    }
    now = t + 1000;
    const { visibility, correlation } = new InsightsTracker(store, watch).insights(request());
    expect(visibility.map((v) => v.code)).toEqual(['router-proxy']);
    const [safe] = correlation;
    expect(safe).toMatchObject({ rule: 'avira-safethings', viaRouter: true, followedShare: 1 });
    expect(safe!.chanceShare).toBeLessThan(0.3);
  });

  it('a blocked name the router stops asking while its other lookups rise: possible fallback', () => {
    // 10 minutes of SafeThings every 2 s and a little else; then blocked; then only other names, more of them.
    let t = T0;
    for (; t < T0 + 600_000; t += 2000) {
      ask(t, ROUTER, 'dfp-dual.safethings.avira.com', t >= T0 + 598_000 ? { error: 'blocked' } : {});
      if (t % 60_000 === 0) ask(t + 1, ROUTER, `ntp${t}.example.net`);
    }
    for (; t < T0 + 900_000; t += 3000) ask(t, ROUTER, `cdn${t}.example.net`);
    now = t;
    const tracker = new InsightsTracker(store, watch);
    const blockedRules = new Map([['avira-safethings', 'Avira SafeThings']]);
    const [check] = tracker.insights(request({ blockedRules })).visibility;
    expect(check).toMatchObject({ code: 'blocked-fallback', rule: 'avira-safethings', address: ROUTER });
    expect(check!.title).toBe('The router stopped asking for Avira SafeThings once it was blocked');
    expect(check!.message).toMatch(
      /^1,800\/h before the block, 0\/h after\. Its other lookups rose from 60\/h to 1,19\d\/h: it may have switched/,
    );
    // Not blocked any more: no such check.
    expect(tracker.insights(request()).visibility).toEqual([]);
  });
});

describe('bypass lookups', () => {
  it('become a per-device visibility warning', () => {
    ask(T0 + 1000, PHONE, 'www.example.org');
    ask(T0 + 2000, PHONE, 'use-application-dns.net');
    ask(T0 + 3000, PHONE, 'mozilla.cloudflare-dns.com');
    ask(T0 + 4000, LAPTOP, 'www.example.com');
    now = T0 + 60_000;
    const t = new InsightsTracker(store, watch);
    const hints = t.insights(request()).visibility.filter((v) => v.code === 'device-bypass');
    expect(hints.map((h) => [h.address, h.severity])).toEqual([[PHONE, 'warning']]);
    expect(hints[0]!.message).toContain('lower bound');
  });
});

describe('unknown router names', () => {
  it('lists the router’s names no rule explains, with counts and first/last seen', () => {
    ask(T0 + 1000, ROUTER, 'x7.safethings.avira.com');
    ask(T0 + 2000, ROUTER, 'telemetry.example-router.com');
    ask(T0 + 9000, ROUTER, 'telemetry.example-router.com');
    ask(T0 + 3000, ROUTER, '23.0.168.192.in-addr.arpa');
    ask(T0 + 4000, ROUTER, 'dns.google');
    ask(T0 + 5000, PHONE, 'www.example.org');
    now = T0 + 60_000;
    const t = new InsightsTracker(store, watch);
    expect(t.insights(request()).unknownNames).toEqual([
      { name: 'telemetry.example-router.com', count: 2, firstTs: T0 + 2000, lastTs: T0 + 9000 },
    ]);
  });
});
