import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_NAMES_PER_DEVICE } from '@shared/watch/report';
import { WatchService } from './watch-service';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-watch-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ROUTER = '192.168.0.1';
const PHONE = '192.168.0.23';
const SAFE = 'a.safethings.avira.com';

describe('WatchService', () => {
  it('classifies names by the built-in list, with blocking off by default', async () => {
    const w = await WatchService.open({ dataDir: dir });
    expect(w.classify('a1.safethings.avira.com')).toEqual({ rule: 'avira-safethings', block: 'off' });
    expect(w.classify('www.example.com')).toEqual({ rule: '', block: 'off' });
  });

  it('persists switches, blocking, own rules and markers across a restart', async () => {
    const w1 = await WatchService.open({ dataDir: dir });
    await w1.update('avira-safethings', { block: 'nxdomain' });
    await w1.update('asus-dns-probe', { enabled: false });
    const mine = await w1.upsertCustom({
      vendor: 'Acme',
      integration: 'Acme router cloud',
      patterns: ['=telemetry.acme.example', 'acme-cloud.example'],
      category: 'vendor-cloud',
      explanation: 'Seen in my logs',
    });
    const marker = await w1.addMarker('  HomeShield switched off ', T0);
    expect(marker.label).toBe('HomeShield switched off');

    const w2 = await WatchService.open({ dataDir: dir });
    expect(w2.classify('x.safethings.avira.com')).toEqual({ rule: 'avira-safethings', block: 'nxdomain' });
    expect(w2.classify('dns.msftncsi.com').rule).toBe('');
    expect(w2.classify('telemetry.acme.example').rule).toBe(mine.id);
    expect(w2.classify('eu.acme-cloud.example').rule).toBe(mine.id);
    expect(w2.rule(mine.id)).toMatchObject({ builtIn: false, confidence: 'user', block: 'off' });
    expect(w2.markers()).toEqual([marker]);
    const saved = JSON.parse(await readFile(path.join(dir, 'watch.json'), 'utf8')) as { custom: unknown[] };
    expect(saved.custom).toHaveLength(1);

    await w2.removeCustom(mine.id);
    expect(w2.classify('telemetry.acme.example').rule).toBe('');
  });

  it('refuses bad rules with a readable message', async () => {
    const w = await WatchService.open({ dataDir: dir });
    const base = { vendor: 'X', integration: 'X', category: 'vendor-cloud' as const, explanation: '' };
    await expect(w.upsertCustom({ ...base, patterns: [' '] })).rejects.toThrow(/at least one pattern/);
    await expect(w.upsertCustom({ ...base, patterns: ['bad name'] })).rejects.toThrow(/cannot have/);
    await expect(
      w.upsertCustom({ ...base, id: 'avira-safethings', patterns: ['a.example'] }),
    ).rejects.toThrow(/built-in/);
    await expect(w.update('no-such-rule', { enabled: false })).rejects.toThrow(/no watchlist rule/);
    await expect(w.addMarker('  ', T0)).rejects.toThrow(/needs a label/);
  });

  it('keeps the correlation window across restarts, within its range', async () => {
    const w = await WatchService.open({ dataDir: dir });
    expect(w.correlationWindowS()).toBe(3);
    expect(await w.setCorrelationWindowS(1.5)).toBe(1.5);
    expect((await WatchService.open({ dataDir: dir })).correlationWindowS()).toBe(1.5);
    // A hand-edited file with a window out of range falls back to the default.
    const file = path.join(dir, 'watch.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...saved, correlationWindowS: 999 }));
    expect((await WatchService.open({ dataDir: dir })).correlationWindowS()).toBe(3);
  });

  it('moves a corrupt settings file aside and starts from the built-in list', async () => {
    await writeFile(path.join(dir, 'watch.json'), '{"custom": [');
    const warnings: string[] = [];
    const w = await WatchService.open({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(w.classify('a.safethings.avira.com').rule).toBe('avira-safethings');
    expect(warnings[0]).toMatch(/could not be read/);
  });

  it('reports router traffic first, with its rate, beacon and the change around a marker', async () => {
    const w = await WatchService.open({ dataDir: dir });
    // The router asks every second for 10 minutes, then every 10 s after "HomeShield switched off".
    for (let i = 0; i < 600; i++) w.observe(T0 + i * 1000 + (i % 3) * 40, ROUTER, 'avira-safethings', SAFE);
    for (let i = 0; i < 60; i++) w.observe(T0 + 600_000 + i * 10_000, ROUTER, 'avira-safethings', SAFE);
    // A phone asks a connectivity check now and then.
    for (let i = 0; i < 20; i++) w.observe(T0 + i * 55_000, PHONE, 'asus-dns-probe', 'dns.msftncsi.com');
    expect(w.observe(T0, PHONE, '', 'example.com')).toBe(false);
    const m = await w.addMarker('HomeShield switched off', T0 + 600_000);

    const opts = {
      isRouter: (a: string) => a === ROUTER,
      windowMs: 1_200_000,
      captureStart: T0,
      recordingEnd: T0 + 1_200_000,
    };
    const r = w.report(opts);
    // The series' unused room given back (660 times in room for 1,024): the same report.
    w.trimTimes();
    expect(w.report(opts)).toEqual(r);
    expect(r.rules.map((x) => x.rule)).toEqual(['avira-safethings', 'asus-dns-probe']);
    const avira = r.rules[0]!;
    expect(avira).toMatchObject({
      queries: 660,
      routerQueries: 660,
      vendor: 'Avira',
      category: 'security-cloud',
    });
    // Over the router's own span, first to last lookup: 659 intervals in 1,190 s.
    expect(avira.rate.spanMs).toBe(1_190_000);
    expect(avira.rate.perDay).toBeCloseTo((659 / 1_190_000) * 86_400_000, 6);
    expect(avira.rate.captureSpanMs).toBe(1_200_000);
    expect(avira.devices[0]).toMatchObject({ address: ROUTER, isRouter: true, queries: 660 });
    expect(r.rules[1]!.routerQueries).toBe(0);
    const effect = r.effects.find((e) => e.marker === m.id && e.rule === 'avira-safethings')!;
    expect(effect.before.count).toBe(600);
    expect(effect.after.count).toBe(60);
    expect(effect.change).toBeCloseTo(-0.9, 2);
    expect(effect.waitMs).toBe(0);
  });

  it('waits with a marker’s effect until the time after it could hold ten lookups at the rate before', async () => {
    const w = await WatchService.open({ dataDir: dir });
    // Once every 10 s for 10 minutes; the capture stops 2 s after the last lookup, the marker is set then.
    for (let i = 0; i < 60; i++) w.observe(T0 + i * 10_000, ROUTER, 'avira-safethings', SAFE);
    await w.addMarker('HomeShield switched off', T0 + 600_000);
    const stopped = w.report({
      isRouter: () => true,
      windowMs: 592_000,
      captureStart: T0,
      recordingEnd: T0 + 592_000,
    });
    // After the recording ended there is no "after" to compare: no −100 %.
    expect(stopped.effects[0]).toMatchObject({ change: null, after: { windowMs: 0 } });
    expect(stopped.effects[0]!.waitMs).toBe(100_000);
    const early = w.report({
      isRouter: () => true,
      windowMs: 640_000,
      captureStart: T0,
      recordingEnd: T0 + 640_000,
    });
    expect(early.effects[0]).toMatchObject({ change: null, waitMs: 60_000 });
    const later = w.report({
      isRouter: () => true,
      windowMs: 700_000,
      captureStart: T0,
      recordingEnd: T0 + 700_000,
    });
    expect(later.effects[0]).toMatchObject({ change: -1, waitMs: 0 });
  });

  it('recognises a steady beacon per device', async () => {
    const w = await WatchService.open({ dataDir: dir });
    for (let i = 0; i < 300; i++)
      w.observe(T0 + i * 1000 + ((i * 37) % 100) - 50, ROUTER, 'avira-safethings', SAFE);
    const r = w.report({
      isRouter: () => true,
      windowMs: 300_000,
      captureStart: T0,
      recordingEnd: T0 + 300_000,
    });
    expect(r.rules[0]!.devices[0]).toMatchObject({ rate: { beacon: true } });
    expect(r.rules[0]!.devices[0]!.every).toMatch(/^every 1\.0 s ± 0\.\d s$/);
  });

  it('gives each queried name its own rate and beacon within a (device, rule) pair', async () => {
    const w = await WatchService.open({ dataDir: dir });
    // One name every second (a beacon), one every 30 s, and twelve one-off names at random moments.
    for (let i = 0; i < 660; i++)
      w.observe(T0 + i * 1000 + ((i * 37) % 80) - 40, ROUTER, 'avira-safethings', SAFE);
    for (let i = 0; i < 20; i++)
      w.observe(T0 + i * 30_000 + 500, ROUTER, 'avira-safethings', 'b.safethings.avira.com');
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 12; i++)
      w.observe(
        T0 + Math.floor(random() * 600_000),
        ROUTER,
        'avira-safethings',
        `x${i}.safethings.avira.com`,
      );
    const r = w.report({
      isRouter: () => true,
      windowMs: 600_000,
      captureStart: T0,
      recordingEnd: T0 + 700_000,
    });
    const d = r.rules[0]!.devices[0]!;
    expect(d.queries).toBe(692);
    expect(d.names).toHaveLength(MAX_NAMES_PER_DEVICE);
    expect(d.otherNames).toBe(14 - MAX_NAMES_PER_DEVICE);
    const [first, second] = d.names;
    expect(first).toMatchObject({ name: SAFE, queries: 660, rate: { beacon: true } });
    expect(first!.rate.perDay! / 86_400).toBeCloseTo(1, 2);
    expect(first!.every).toMatch(/^every 1\.0 s ± 0\.\d s$/);
    expect(second).toMatchObject({ name: 'b.safethings.avira.com', queries: 20, rate: { beacon: true } });
    expect(second!.rate.medianIntervalMs).toBe(30_000);
    // 20 lookups over 9.5 min: counted, not projected.
    expect(second!.rate.perDay).toBeNull();
    // The one-off names have no interval to speak of and the pair as a whole is no clean beacon.
    expect(d.names.slice(2).every((n) => n.queries === 1 && !n.rate.beacon)).toBe(true);
    expect(d.rate.regularity).toBeLessThan(first!.rate.regularity);
  });

  it('counts watched queries per minute, rule and client from a given minute on', async () => {
    const w = await WatchService.open({ dataDir: dir });
    for (let i = 0; i < 90; i++) w.observe(T0 + i * 1000, ROUTER, 'avira-safethings', SAFE);
    w.observe(T0 + 61_000, PHONE, 'avira-safethings', SAFE);
    w.observe(T0 + 5_000, PHONE, 'asus-dns-probe', 'dns.msftncsi.com');
    expect(w.minuteCounts(0)).toEqual([
      {
        minute: T0,
        counts: [
          { rule: 'avira-safethings', client: ROUTER, n: 60 },
          { rule: 'asus-dns-probe', client: PHONE, n: 1 },
        ],
      },
      {
        minute: T0 + 60_000,
        counts: [
          { rule: 'avira-safethings', client: ROUTER, n: 30 },
          { rule: 'avira-safethings', client: PHONE, n: 1 },
        ],
      },
    ]);
    expect(w.minuteCounts(T0 + 60_000).map((b) => b.minute)).toEqual([T0 + 60_000]);
  });

  it('keeps the router model across a restart', async () => {
    const w1 = await WatchService.open({ dataDir: dir });
    expect(w1.routerModel()).toBe('');
    expect(await w1.setRouterModel(' Deco X68 v1 ')).toBe('Deco X68 v1');
    const w2 = await WatchService.open({ dataDir: dir });
    expect(w2.routerModel()).toBe('Deco X68 v1');
  });
});
