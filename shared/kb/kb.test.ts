import { describe, expect, it } from 'vitest';
import { WatchMatcher } from '../watch/match';
import { BUILT_IN_RULES } from '../watch/rules';
import { fixesFor, KB_BYPASS, KB_FILES, KB_RULES } from './index';
import { lintKb, summaryLine } from './lint';

/** Names ordinary browsing and devices ask for: no built-in rule may claim them. */
const ORDINARY = [
  'www.google.com',
  'google.com',
  'www.youtube.com',
  'i.ytimg.com',
  'www.facebook.com',
  'en.wikipedia.org',
  'www.amazon.com',
  'www.netflix.com',
  'www.apple.com',
  'www.microsoft.com',
  'www.bbc.co.uk',
  'github.com',
  'api.synology.com',
  'www.reddit.com',
  'outlook.office365.com',
  'www.tp-link.com.cn',
  'avira.com',
  'www.avira.com',
  'trendmicro.com',
  'www.trendmicro.com',
  'www.asus.com',
  'www.bitdefender.com',
];

describe('the knowledge base', () => {
  it('passes its lint', () => {
    const { errors, summary } = lintKb(KB_FILES, KB_BYPASS);
    expect(errors).toEqual([]);
    expect(summaryLine(summary)).toMatch(/^\d+ rules, \d+ vendors, \d+ fixes, \d+ sources$/);
  });

  it('keeps the ids of the first watchlist that had sources', () => {
    const ids = new Set(KB_RULES.map((r) => r.id));
    for (const id of [
      'avira-safethings',
      'avira-safethings-com',
      'tplink-cloud',
      'asus-aiprotection-wrs',
      'asus-dns-probe',
      'netgear-armor-bitdefender',
      'netgear-ntp',
      'eero-e2ro',
    ])
      expect(ids.has(id)).toBe(true);
  });

  it('matches every rule’s examples to that rule', () => {
    const all = new WatchMatcher(BUILT_IN_RULES.map((r) => ({ ...r, enabled: true })));
    for (const r of KB_RULES) for (const ex of r.examples) expect([ex, all.match(ex)]).toEqual([ex, r.id]);
  });

  it.each(ORDINARY)('leaves the ordinary name %s alone', (name) => {
    const all = new WatchMatcher(BUILT_IN_RULES.map((r) => ({ ...r, enabled: true })));
    expect(all.match(name)).toBe('');
  });

  it('reports a duplicate pattern, an unsourced rule and an undeclared overlap', () => {
    const rule = {
      id: 'a-rule',
      vendor: 'Vendor',
      product: 'Product',
      feature: 'feature',
      category: 'telemetry',
      devices: ['router'],
      patterns: ['example.com'],
      examples: ['example.com'],
      meaning: 'what it means for the user',
      confidence: 'observed',
      basis: 'a public log',
      sources: [{ url: 'https://example.org/log', note: 'a public log shows it' }],
    };
    const files = {
      'a.json': { subject: 'Vendor A', about: 'about vendor A', rules: [rule] },
      'b.json': {
        subject: 'Vendor B',
        about: 'about vendor B',
        rules: [
          { ...rule, id: 'b-rule', patterns: ['example.com'] },
          { ...rule, id: 'c-rule', patterns: ['=x.example.com'], examples: ['x.example.com'] },
        ],
      },
      'c.json': {
        subject: 'Vendor C',
        about: 'about vendor C',
        rules: [
          { ...rule, id: 'd-rule', patterns: ['other.example'], examples: ['other.example'], sources: [] },
        ],
      },
    };
    const { errors } = lintKb(files, KB_BYPASS);
    expect(errors.some((e) => e.includes('also in rule a-rule'))).toBe(true);
    expect(errors.some((e) => e.includes('c-rule') && e.includes('overlap'))).toBe(true);
    expect(errors.some((e) => e.startsWith('c.json: rules.0.sources'))).toBe(true);
  });

  it('gives fixes only to the rules that list them', () => {
    for (const r of KB_RULES) {
      const fixes = fixesFor(r);
      expect(fixes.map((f) => f.id)).toEqual(r.fixes ?? []);
    }
    const without = KB_RULES.find((r) => (r.fixes ?? []).length === 0);
    expect(without && fixesFor(without)).toEqual([]);
  });
});
