import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '@shared/events';
import { lookupRate, type LookupRate } from '@shared/watch/lookup-rate';
import type { DeviceRuleStats, MarkerEffect, RuleReport, WatchReport } from '@shared/watch/report';
import { deviceAt } from './test-events';
import {
  beaconText,
  clientFindings,
  effectText,
  formatApprox,
  formatChange,
  formatPerHour,
  formatSpan,
  modelFixText,
  regularityText,
  reportedComparison,
  routerFindings,
  routerMake,
  serviceName,
  shortVendor,
  userError,
} from './watch-text';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ROUTER = '192.168.0.1';
const PHONE = '192.168.0.23';

/** The figures of `count` lookups evenly spread over `spanMs`, in a capture of `captureMs`. */
function rateOf(count: number, spanMs = 1_199_000, captureMs = 20 * 60_000): LookupRate {
  const step = count > 1 ? spanMs / (count - 1) : 0;
  return lookupRate(
    Array.from({ length: count }, (_, i) => T0 + i * step),
    captureMs,
  );
}

function stats(address: string, over: Partial<DeviceRuleStats> = {}): DeviceRuleStats {
  const queries = over.queries ?? 1234;
  return {
    address,
    isRouter: false,
    names: [],
    otherNames: 0,
    every: 'every 1.0 s ± 0.1 s',
    ...over,
    queries,
    rate: over.rate ?? rateOf(queries),
  };
}

function rule(id: string, devices: DeviceRuleStats[], over: Partial<RuleReport> = {}): RuleReport {
  const queries = devices.reduce((n, d) => n + d.queries, 0);
  return {
    rule: id,
    vendor: 'Avira',
    integration: 'SafeThings (TP-Link HomeShield / HomeCare Pro)',
    category: 'security-cloud',
    confidence: 'observed',
    explanation: 'Avira SafeThings, the cloud behind TP-Link HomeShield.',
    queries,
    routerQueries: devices.filter((d) => d.isRouter).reduce((n, d) => n + d.queries, 0),
    rate: rateOf(queries),
    devices,
    ...over,
  };
}

function report(rules: RuleReport[], windowMs = 20 * 60_000): WatchReport {
  return { windowMs, rules, markers: [], effects: [] };
}

const TP_LINK_ROUTER = deviceAt(ROUTER, { isRouter: true, vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.' });
const devices = new Map<string, DeviceInfo>([
  [ROUTER, TP_LINK_ROUTER],
  [PHONE, deviceAt(PHONE, { name: 'Anna’s phone' })],
]);

describe('watchlist wording', () => {
  it('names services without repeating the vendor or the parenthesised product', () => {
    expect(
      serviceName({ vendor: 'Avira', integration: 'SafeThings (TP-Link HomeShield / HomeCare Pro)' }),
    ).toBe('Avira SafeThings');
    expect(
      serviceName({ vendor: 'TP-Link', integration: 'TP-Link Cloud device channel (remote mgmt)' }),
    ).toBe('TP-Link Cloud device channel');
    expect(serviceName({ vendor: 'eero (Amazon)', integration: 'eero cloud' })).toBe('eero cloud');
    expect(
      serviceName({ vendor: 'Trend Micro', integration: 'ASUS AiProtection WRS (web) - wred / TMUFE' }),
    ).toBe('Trend Micro ASUS AiProtection WRS');
    expect(serviceName({ vendor: 'Custom', integration: '' })).toBe('Custom');
  });

  it('turns registered vendor names into brands', () => {
    expect(shortVendor('TP-LINK TECHNOLOGIES CO.,LTD.')).toBe('TP-Link');
    expect(shortVendor('ASUSTek COMPUTER INC.')).toBe('ASUS');
    expect(shortVendor('Raspberry Pi Trading Ltd')).toBe('Raspberry');
    expect(shortVendor('')).toBe('');
    expect(routerMake(TP_LINK_ROUTER, '')).toBe('TP-Link');
    expect(routerMake(TP_LINK_ROUTER, 'Deco X68 v1')).toBe('TP-Link Deco X68 v1');
    expect(routerMake(undefined, 'FRITZ!Box 7590')).toBe('FRITZ!Box 7590');
  });

  it('formats spans, projections, hourly rates and changes', () => {
    expect(formatSpan(12_400)).toBe('12 s');
    expect(formatSpan(20 * 60_000)).toBe('20 min');
    expect(formatSpan(150 * 60_000)).toBe('2.5 h');
    expect(formatSpan(3 * 86_400_000)).toBe('3.0 days');
    expect(formatApprox(88_823)).toBe('88,800');
    expect(formatApprox(86_400)).toBe('86,400');
    expect(formatApprox(1_234_567)).toBe('1,230,000');
    expect(formatApprox(512.4)).toBe('512');
    expect(formatPerHour(3600)).toBe('3,600/h');
    expect(formatPerHour(0.5)).toBe('0.5/h');
    expect(formatPerHour(0)).toBe('0/h');
    expect(formatChange(-0.95)).toBe('−95 %');
    expect(formatChange(0.124)).toBe('+12 %');
    expect(formatChange(0.001)).toBe('±0 %');
  });

  it('compares the SafeThings rate with the reported 42,000–80,000 a day', () => {
    expect(reportedComparison('avira-safethings', rateOf(1234))).toBe(
      '≈ 88,900 a day here (one every 0.97 s): above the 42,000–80,000 a day reported for affected TP-Link routers.',
    );
    expect(reportedComparison('avira-safethings', rateOf(7501, 3 * 3_600_000, 3 * 3_600_000))).toMatch(
      /^≈ 60,000 a day here \(one every 1\.44 s\): within the 42,000–80,000 a day reported/,
    );
    expect(reportedComparison('avira-safethings', rateOf(168, 3_600_000, 3_600_000))).toMatch(
      /^≈ 4,010 a day here \(one every 21\.6 s\): below the .* routers\.$/,
    );
    // The banner once compared "≈ 33,600 a day" from 18 lookups in 19 s.
    expect(reportedComparison('avira-safethings', rateOf(18, 17_000, 46_000))).toBe(
      'Too early to compare with the 42,000–80,000 a day reported for affected TP-Link routers: a daily rate needs at least 10 lookups over 10 min; so far 18 over 17 s.',
    );
    expect(reportedComparison('tplink-cloud', rateOf(1234))).toBe('');
  });

  it('writes the router banner: count, span, projection, beacon, make', () => {
    const r = report([rule('avira-safethings', [stats(ROUTER, { isRouter: true })])]);
    const [f, ...rest] = routerFindings(r, devices, '');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      tone: 'alarm',
      rule: 'avira-safethings',
      headline:
        'Your router 192.168.0.1 (TP-Link) contacted Avira SafeThings 1,234 times in 20 min, ≈ 88,900 a day — every 1.0 s ± 0.1 s',
      meta: 'Security cloud lookups · Seen in DNS logs',
    });
    expect(f!.comparison).toMatch(/^≈ 88,900 a day here \(one every 0\.97 s\): above the/);
    expect(f!.effect).toBe('');
    // The latest marker's effect joins the sentence.
    const marked: WatchReport = {
      ...r,
      markers: [
        { id: 'm-1', ts: T0 + 60_000, label: 'HomeShield switched off' },
        { id: 'm-2', ts: T0 + 120_000, label: 'firmware updated' },
      ],
      effects: [
        {
          marker: 'm-2',
          rule: 'avira-safethings',
          address: ROUTER,
          before: { count: 60, perHour: 3600, windowMs: 60_000 },
          after: { count: 60, perHour: 3600, windowMs: 60_000 },
          change: 0,
          waitMs: 0,
        },
        {
          marker: 'm-1',
          rule: 'avira-safethings',
          address: ROUTER,
          before: { count: 60, perHour: 3600, windowMs: 60_000 },
          after: { count: 60, perHour: 3600, windowMs: 60_000 },
          change: 0,
          waitMs: 0,
        },
      ],
    };
    expect(routerFindings(marked, devices, '')[0]!.effect).toBe(
      'After “firmware updated”: ±0 % (3,600/h → 3,600/h)',
    );
    // With the model picked, the sentence names it.
    expect(routerFindings(r, devices, 'Archer AX55 v1')[0]!.headline).toMatch(
      /^Your router 192\.168\.0\.1 \(TP-Link Archer AX55 v1\) contacted/,
    );
  });

  it('names the beaconing name when other names blur the device’s rhythm', () => {
    const name = (n: string, every: string) => ({
      name: n,
      queries: every ? 600 : 1,
      rate: rateOf(every ? 600 : 1),
      every,
    });
    const mixed = stats(ROUTER, {
      isRouter: true,
      every: '',
      names: [
        name('dfp-dual.safethings.avira.com', 'every 1.0 s ± 0.1 s'),
        name('x1.safethings.avira.com', ''),
      ],
    });
    expect(beaconText(mixed)).toBe(' — dfp-dual.safethings.avira.com every 1.0 s ± 0.1 s');
    expect(routerFindings(report([rule('avira-safethings', [mixed])]), devices, '')[0]!.headline).toMatch(
      /a day — dfp-dual\.safethings\.avira\.com every 1\.0 s ± 0\.1 s$/,
    );
    // The device as a whole beats: its own rhythm, no name.
    expect(beaconText(stats(ROUTER))).toBe(' — every 1.0 s ± 0.1 s');
    expect(beaconText(stats(ROUTER, { every: '', names: [name('a.example', '')] }))).toBe('');
  });

  it('keeps connectivity checks calm, after the alarming findings, and leaves clients out of the router banner', () => {
    const r = report([
      rule('tplink-www-connectivity', [stats(ROUTER, { isRouter: true, queries: 5000, every: '' })], {
        vendor: 'TP-Link',
        integration: 'connectivity check (probable)',
        category: 'connectivity',
        confidence: 'observed',
      }),
      rule('avira-safethings', [
        stats(ROUTER, { isRouter: true, queries: 12 }),
        stats(PHONE, { queries: 3 }),
      ]),
    ]);
    const found = routerFindings(r, devices, '');
    expect(found.map((f) => [f.rule, f.tone, f.category])).toEqual([
      ['avira-safethings', 'alarm', 'security-cloud'],
      ['tplink-www-connectivity', 'info', 'connectivity'],
    ]);
    // Four queries are counted, not projected.
    const few = report([
      rule('avira-safethings', [stats(ROUTER, { isRouter: true, queries: 4, every: '' })]),
    ]);
    expect(routerFindings(few, devices, '')[0]).toMatchObject({
      headline:
        'Your router 192.168.0.1 (TP-Link) contacted Avira SafeThings 4 times in 20 min, too early to tell a daily rate',
      comparison:
        'Too early to compare with the 42,000–80,000 a day reported for affected TP-Link routers: a daily rate needs at least 10 lookups over 10 min; so far 4 over 20 min.',
    });
    expect(found[1]!.headline).toBe(
      'Your router 192.168.0.1 (TP-Link) contacted TP-Link connectivity check 5,000 times in 20 min, ≈ 360,000 a day',
    );
  });

  it('writes a quieter line for other devices, without connectivity checks', () => {
    const r = report([
      rule('avira-safethings', [stats(ROUTER, { isRouter: true }), stats(PHONE, { queries: 1 })]),
      rule('asus-dns-probe', [stats(PHONE)], { category: 'connectivity' }),
    ]);
    expect(clientFindings(r, devices)).toEqual([
      expect.objectContaining({
        tone: 'notice',
        headline:
          'Anna’s phone (192.168.0.23) contacted Avira SafeThings once in 20 min, too early to tell a daily rate',
      }),
    ]);
    const two = report([rule('avira-safethings', [stats(PHONE, { queries: 2 }), stats('192.168.0.24')])]);
    expect(clientFindings(two, devices)[0]!.headline).toMatch(
      /^2 devices contacted Avira SafeThings 1,236 times/,
    );
  });

  it('says what a marker changed', () => {
    const effect: MarkerEffect = {
      marker: 'm-1',
      rule: 'avira-safethings',
      address: ROUTER,
      before: { count: 600, perHour: 3600, windowMs: 600_000 },
      after: { count: 30, perHour: 180, windowMs: 600_000 },
      change: -0.95,
      waitMs: 0,
    };
    expect(effectText(effect, { label: 'HomeShield switched off' })).toBe(
      'after “HomeShield switched off”: −95 % (3,600/h → 180/h)',
    );
    expect(
      effectText(
        {
          ...effect,
          before: { count: 0, perHour: 0, windowMs: 0 },
          change: null,
          after: { ...effect.after, windowMs: 30_000 },
        },
        { label: 'firmware updated' },
      ),
    ).toBe('after “firmware updated”: 180/h (none before), 30 s after so far');
    // Until the time after the marker could hold ten lookups at the rate before, no effect is claimed.
    expect(
      effectText(
        { ...effect, after: { count: 0, perHour: 0, windowMs: 2000 }, change: null, waitMs: 8000 },
        { label: 'HomeShield switched off' },
      ),
    ).toBe('after “HomeShield switched off”: waiting, about 8 s');
    expect(effectText({ ...effect, change: null, waitMs: 150_000 }, { label: 'x' })).toBe(
      'after “x”: waiting, about 3 min',
    );
  });

  it('describes regularity and the router model’s firmware fix', () => {
    expect(regularityText({ beacon: true, regularity: 0.95, count: 100 })).toBe('regular (timer)');
    expect(regularityText({ beacon: false, regularity: 0.1, count: 100 })).toBe('irregular');
    expect(regularityText({ beacon: false, regularity: 0, count: 2 })).toBe('too few to say');
    expect(modelFixText('Archer AX55 v1')).toMatch(/already released in March 2022/);
    expect(modelFixText('Archer AX90 v1')).toMatch(/announced for 2022-03-21/);
    expect(modelFixText('ASUS RT-AX88U')).toMatch(/does not name this model/);
    expect(modelFixText('')).toBe('');
    expect(modelFixText('other')).toMatch(/covers its HomeShield routers only/);
    expect(routerMake(TP_LINK_ROUTER, 'other')).toBe('TP-Link');
  });
});

describe('userError', () => {
  it('leaves the engine’s words for the user, without the channel', () => {
    expect(
      userError(
        new Error(
          'invalid arguments for marker:add at label: a marker needs a label, e.g. "HomeShield switched off"',
        ),
      ),
    ).toBe('A marker needs a label, e.g. "HomeShield switched off"');
    expect(userError(new Error('no watchlist rule "x"'))).toBe('No watchlist rule "x"');
    expect(userError('offline')).toBe('Offline');
  });
});
