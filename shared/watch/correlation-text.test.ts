import { lookupRate } from './lookup-rate';
import { describe, expect, it } from 'vitest';
import {
  correlationSentence,
  insightsEvidence,
  percent,
  shapeSentence,
  topDeviceText,
  verdictText,
  windowText,
} from './correlation-text';
import type { RuleCorrelation, RuleReport, WatchReport } from './report';

const corr: RuleCorrelation = {
  rule: 'avira-safethings',
  routers: ['192.168.0.1'],
  viaRouter: false,
  windowMs: 3000,
  lookups: 1234,
  followed: 1037,
  followedShare: 0.8403,
  chanceShare: 0.0912,
  chanceHigh: 0.12,
  pValue: 0.024,
  newDomains: 1500,
  devices: [
    { address: '192.168.0.23', newDomains: 900, followed: 830, followedShare: 0.922, attributed: 800 },
    { address: '192.168.0.42', newDomains: 600, followed: 240, followedShare: 0.4, attributed: 237 },
  ],
  verdict: 'tracks-browsing',
};

const rule: RuleReport = {
  rule: 'avira-safethings',
  vendor: 'Avira',
  integration: 'SafeThings (TP-Link HomeShield / HomeCare Pro)',
  category: 'security-cloud',
  confidence: 'observed',
  explanation: '',
  queries: 1234,
  routerQueries: 1234,
  rate: lookupRate([1, 2], 1),
  devices: [],
};

describe('correlation text', () => {
  it('the headline sentence, as the brief words it', () => {
    expect(correlationSentence(corr, 'Avira SafeThings')).toBe(
      '84 % of your router’s Avira SafeThings lookups came within 3 s of a device looking up a new site (by chance: 9 %)',
    );
    expect(correlationSentence({ ...corr, lookups: 0 }, 'X')).toBe('');
    expect(correlationSentence({ ...corr, newDomains: 0 }, 'X')).toContain(
      'no device has looked up a new site',
    );
    expect(correlationSentence({ ...corr, viaRouter: true }, 'X')).toContain(
      'a new site was looked up through the router',
    );
    // Within the chance margin: a plain sentence, no alarm.
    expect(
      correlationSentence({ ...corr, followedShare: 0.94, chanceShare: 1, verdict: 'independent' }, 'X'),
    ).toBe(
      'No sign that the router follows your browsing: 94 % of your router’s X lookups came within 3 s of a device looking up a new site, about as often as by chance (100 %)',
    );
  });

  it('numbers: shares, windows', () => {
    expect(percent(0)).toBe('0 %');
    expect(percent(0.001)).toBe('< 1 %');
    expect(percent(1)).toBe('100 %');
    expect(windowText(3000)).toBe('3 s');
    expect(windowText(1500)).toBe('1.5 s');
  });

  it('names the device followed most, by name when known', () => {
    expect(topDeviceText(corr, (a) => (a === '192.168.0.23' ? 'Anna’s phone' : a))).toBe(
      'Most often after Anna’s phone (192.168.0.23): 92 % of its 900 new sites were followed by a lookup.',
    );
    expect(topDeviceText({ ...corr, devices: [] })).toBe('');
    expect(verdictText('independent')).toContain('chance');
  });

  it('the lookup shape in words', () => {
    expect(
      shapeSentence({
        domain: 'trendmicro.com',
        queries: 600,
        distinctNames: 600,
        distinctCapped: false,
        distinctPerHour: 3600,
        types: { A: 0.75, TXT: 0.25 },
        txtShare: 0.25,
        otherTypeShare: 0.25,
        meanLabelLength: 24,
        meanEntropy: 3.47,
        encodedShare: 1,
        encoded: true,
        firstSeen: 0,
        lastSeen: 0,
      }),
    ).toBe(
      'Encoded lookups under trendmicro.com: 100 % of 600 queries carry a label that looks like encoded data (labels 24.0 characters, 3.5 bits per character on average); 600 distinct names (3,600 an hour), 25 % TXT.',
    );
  });

  it('evidence: plain data plus sentences, categories with their meaning', () => {
    const report: WatchReport = {
      windowMs: 60_000,
      rules: [
        rule,
        {
          ...rule,
          rule: 'asus-dns-probe',
          vendor: 'ASUS',
          integration: 'WAN DNS probe',
          category: 'connectivity',
        },
      ],
      markers: [],
      effects: [],
      correlation: [corr],
      visibility: [],
    };
    const ev = insightsEvidence(report, (a) => (a === '192.168.0.23' ? 'Anna’s phone' : a));
    expect(ev.correlation[0]).toMatchObject({
      service: 'Avira SafeThings',
      category: 'security-cloud',
      windowS: 3,
      followedShare: 0.8403,
      topDevice: { address: '192.168.0.23', name: 'Anna’s phone', newDomains: 900 },
    });
    expect(ev.correlation[0]!.sentence).toMatch(/^84 % of your router’s Avira SafeThings lookups/);
    expect(ev.categories.map((c) => [c.rule, c.note.split(':')[0]])).toEqual([
      ['avira-safethings', 'privacy relevant'],
      ['asus-dns-probe', 'benign but noisy'],
    ]);
    expect(ev.method).toContain('30 minutes');
    expect(ev.lookupShape).toEqual([]);
  });
});
