import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceInfo, EngineStatus } from '@shared/events';
import { WatchService } from '../watch';
import { findingSentences } from './findings';
import { reportHtml } from './report-html';
import { buildSummary, type EvidenceFacts } from './summary';

const ROUTER = '192.168.0.1';
const SAFE = 'dfp-dual.safethings.avira.com';
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dnsw-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A capture of 75 min; the router starts 2 min in and asks every 1.03 s, before and after a marker. */
async function bundleOf(): Promise<{ summary: ReturnType<typeof buildSummary>; html: string }> {
  const w = await WatchService.open({ dataDir: dir });
  const first = T0 + 2 * MIN;
  for (let i = 0; i < 4212; i++) w.observe(first + i * 1030, ROUTER, 'avira-safethings', SAFE);
  await w.addMarker('HomeShield switched off', T0 + 40 * MIN);
  const end = T0 + 75 * MIN;
  const watch = w.report({
    isRouter: (a) => a === ROUTER,
    windowMs: 75 * MIN,
    captureStart: T0,
    recordingEnd: end,
  });
  const facts: EvidenceFacts = {
    now: end,
    // What the report reads of the status; the rest does not matter here.
    status: { version: 'test', listeners: [], upstreams: [], counters: {} } as unknown as EngineStatus,
    captures: [{ id: 'c1', state: 'stopped', startedAt: T0, stoppedAt: end, queries: 4212 }],
    clients: [{ address: ROUTER, queries: 4212, firstSeen: first, lastSeen: first + 4211 * 1030 }],
    device: (address): DeviceInfo =>
      ({
        address,
        mac: '',
        vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
        privateMac: false,
        hostname: '',
        name: '',
        isRouter: address === ROUTER,
      }) as DeviceInfo,
    routers: [ROUTER],
    routerModel: 'Archer AX55 v1',
    watch,
    watchMinutes: w.minuteCounts(0),
  };
  const summary = buildSummary(
    facts,
    {},
    {
      csvRows: 4212,
      pcapExchanges: 4212,
      pcapPackets: 8424,
      journals: new Map(),
      screenshot: true,
      files: ['queries.csv', 'summary.json', 'report.html'],
      fingerprint: 'd4ed bfd7 0000 0000',
    },
  );
  return { summary, html: reportHtml(summary) };
}

describe('report.html', () => {
  it('opens with what was found, in the figures summary.json states', async () => {
    const { summary, html } = await bundleOf();
    const [found, after] = summary.findings;
    expect(found).toMatch(
      /^Router 192\.168\.0\.1 looked up \*\.safethings\.avira\.com 4,212 times between \d{4}-\d\d-\d\d \d\d:\d\d:\d\d and \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(≈ 83,900 a day, one every 1\.03 s\)\.$/,
    );
    expect(after).toMatch(
      /^After “HomeShield switched off” at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d it went on at the same rate \(3,496\/h before, 3,425\/h after\)\.$/,
    );
    const router = summary.watchlist[0]!.devices[0]!;
    expect(router).toMatchObject({
      queries: 4212,
      projected_per_day: 83_883,
      mean_interval_ms: 1030,
      rate_text: '≈ 83,900 a day, one every 1.03 s',
      span_ms: 4211 * 1030,
      capture_span_ms: 75 * MIN,
    });
    // The opening, the comparison and the table state the same rate.
    const opening = html.slice(html.indexOf('data-testid="findings"'), html.indexOf('</div>'));
    expect(opening).toContain('≈ 83,900 a day, one every 1.03 s');
    expect(html).toContain(
      'Router 192.168.0.1: ≈ 83,900 a day, one every 1.03 s — above the 42,000–80,000 a day reported.',
    );
    expect(html.split('≈ 83,900 a day, one every 1.03 s').length - 1).toBe(3);
  });

  it('draws the hourly chart with the marker, the firmware table and the method, and prints in pages', async () => {
    const { summary, html } = await bundleOf();
    expect(summary.watchlist_per_hour.reduce((n, r) => n + r.lookups, 0)).toBe(4212);
    const svg = html.slice(html.indexOf('<svg class="chart"'), html.indexOf('</svg>'));
    expect(svg).toContain('stroke-width="2.5"');
    expect(svg).toContain('HomeShield switched off');
    expect(html).toContain('<tr class="picked"><td>Archer AX55 v1</td>');
    expect(html).toContain('How the figures are computed');
    expect(html).toContain('What DNS Witness cannot see');
    expect(html).toContain('@media print');
    expect(html).toContain('<div class="tables">');
    expect(html).not.toContain('<script');
    // Sections in the order a reader needs them.
    const order = [
      'What was found',
      'Watched lookups per hour',
      'Compared with the published figures',
      'How the figures are computed',
      'Capture period',
    ].map((h) => html.indexOf(`<h2>${h}</h2>`));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
  });

  it('counts and labels wall-clock hours in a zone half an hour off UTC', async () => {
    const savedTz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const { summary, html } = await bundleOf();
      // 12:00-13:15 UTC is 17:30-18:45 in India: the hours are 17:00 and 18:00 local, not 17:30 and 18:30.
      expect(summary.watchlist_per_hour.map((r) => r.hour.slice(11))).toEqual([
        '17:00:00.000+05:30',
        '18:00:00.000+05:30',
      ]);
      expect(summary.watchlist_per_hour.reduce((n, r) => n + r.lookups, 0)).toBe(4212);
      const svg = html.slice(html.indexOf('<svg class="chart"'), html.indexOf('</svg>'));
      const ticks = [...svg.matchAll(/text-anchor="middle">(\d\d:\d\d)</g)].map((m) => m[1]);
      expect(ticks).toEqual(['17:00', '18:00']);
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  it('says "too early to tell" instead of projecting from a few seconds', async () => {
    const w = await WatchService.open({ dataDir: dir });
    for (let i = 0; i < 18; i++) w.observe(T0 + 27_000 + i * 1000, ROUTER, 'avira-safethings', SAFE);
    const watch = w.report({
      isRouter: () => true,
      windowMs: 46_000,
      captureStart: T0,
      recordingEnd: T0 + 46_000,
    });
    expect(findingSentences(watch, [ROUTER])[0]).toMatch(
      /^Router 192\.168\.0\.1 looked up \*\.safethings\.avira\.com 18 times between .* \(too early to tell a daily rate: a daily rate needs at least 10 lookups over 10 min; so far 18 over 17 s\)\.$/,
    );
    const { summary } = await bundleOf();
    expect(summary.reported_per_day).toMatchObject({ low: 42_000, high: 80_000 });
  });
});
