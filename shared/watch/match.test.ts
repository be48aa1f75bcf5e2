import { describe, expect, it } from 'vitest';
import { normalizeName, parsePattern, WatchMatcher } from './match';
import { BUILT_IN_RULES, type WatchRule } from './rules';

const rule = (id: string, patterns: string[], enabled = true): WatchRule => ({
  id,
  vendor: 'Test',
  integration: 'Test',
  routerBrands: [],
  patterns,
  category: 'security-cloud',
  confidence: 'user',
  confidenceNote: '',
  enabled,
  explanation: '',
  evidence: '',
  sources: [],
});

describe('parsePattern', () => {
  it.each([
    ['safethings.avira.com', 'domain', 'safethings.avira.com'],
    ['SafeThings.Avira.COM.', 'domain', 'safethings.avira.com'],
    ['=ifconfig.me', 'exact', 'ifconfig.me'],
    ['*.safethings.avira.com', 'subdomains', 'safethings.avira.com'],
    ['n-deventry*.tplinkcloud.com', 'glob', 'n-deventry*.tplinkcloud.com'],
    ['time-[a-h].netgear.com', 'glob', 'time-[a-h].netgear.com'],
    ['bücher.example', 'domain', 'xn--bcher-kva.example'],
  ])('%s → %s %s', (p, kind, value) => {
    expect(parsePattern(p)).toEqual({ kind, value });
  });

  it.each([
    ['', /needs a name/],
    ['a..b', /empty label/],
    ['bad name.com', /characters a DNS name cannot have/],
    ['=a*.com', /exact name/],
    ['x'.repeat(64) + '.com', /longer than 63/],
    ['time-[ah.com', /range of one character/],
  ])('refuses %j', (p, message) => {
    const r = parsePattern(p);
    expect('error' in r && r.error).toMatch(message);
  });
});

describe('WatchMatcher', () => {
  const m = new WatchMatcher([
    rule('apex-and-subs', ['safethings.avira.com']),
    rule('exact', ['=dfp-dual.safethings.avira.com']),
    rule('subs-only', ['*.trendmicro.com']),
    rule('glob', ['n-deventry*.tplinkcloud.com', 'time-[a-h].netgear.com']),
    rule('broad', ['tplinkcloud.com']),
    rule('off', ['disabled.example'], false),
    rule('idn', ['bücher.example']),
  ]);

  it('matches a domain and all its subdomains, but not look-alikes', () => {
    expect(m.match('safethings.avira.com')).toBe('apex-and-subs');
    expect(m.match('a1.b2.safethings.avira.com')).toBe('apex-and-subs');
    expect(m.match('notsafethings.avira.com')).toBe('');
    expect(m.match('safethings.avira.com.evil.example')).toBe('');
    expect(m.match('avira.com')).toBe('');
  });

  it('prefers exact over suffix, glob over a broader suffix', () => {
    expect(m.match('dfp-dual.safethings.avira.com')).toBe('exact');
    expect(m.match('n-deventry-gw.tplinkcloud.com')).toBe('glob');
    expect(m.match('n-wap-gw.tplinkcloud.com')).toBe('broad');
  });

  it('"*." matches subdomains only', () => {
    expect(m.match('rgom10-en.url.trendmicro.com')).toBe('subs-only');
    expect(m.match('trendmicro.com')).toBe('');
  });

  it('globs: * stays within one label, classes match one character', () => {
    expect(m.match('n-deventry.tplinkcloud.com')).toBe('glob');
    expect(m.match('x.n-deventry.tplinkcloud.com')).toBe('broad');
    expect(m.match('time-c.netgear.com')).toBe('glob');
    expect(m.match('time-z.netgear.com')).toBe('');
  });

  it('ignores case and a trailing dot, skips disabled rules, matches IDN in punycode', () => {
    expect(m.match('SAFETHINGS.avira.com.')).toBe('apex-and-subs');
    expect(m.match('disabled.example')).toBe('');
    expect(m.match('xn--bcher-kva.example')).toBe('idn');
    expect(m.match('shop.xn--bcher-kva.example')).toBe('idn');
  });

  it('does not treat "substring" as a match', () => {
    expect(m.match('safethings-avira-com.example')).toBe('');
    expect(m.match('mysafethings.avira.com.cdn.example')).toBe('');
  });

  it('stays correct past its cache bound', () => {
    for (let i = 0; i < 20_000; i++) m.match(`r${i}.example`);
    expect(m.match('x.safethings.avira.com')).toBe('apex-and-subs');
  });
});

describe('the built-in watchlist', () => {
  const m = new WatchMatcher(BUILT_IN_RULES);

  it('has valid, unique rules with explanations and sources', () => {
    const ids = new Set<string>();
    for (const r of BUILT_IN_RULES) {
      expect(ids.has(r.id)).toBe(false);
      ids.add(r.id);
      expect(r.explanation.length).toBeGreaterThan(10);
      for (const p of r.patterns) expect(parsePattern(p)).not.toHaveProperty('error');
      if (r.confidence === 'guess') expect(r.enabled).toBe(false);
      else expect(r.sources.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['x7.safethings.avira.com', 'avira-safethings'],
    ['dfp-dual.safethings.avira.com', 'avira-safethings'],
    ['rgom10-en.url.trendmicro.com', 'asus-aiprotection-wrs'],
    ['abc.wrs.trendmicro.com', 'tm-wrs-dns-zone'],
    ['nimbus.bitdefender.net', 'netgear-armor-bitdefender'],
    ['dns.msftncsi.com', 'asus-dns-probe'],
    ['time-b.netgear.com', 'netgear-ntp'],
    ['n-deventry-gw.tplinkcloud.com', 'tplink-cloud'],
    ['ifconfig.me', 'tplink-ifconfig-me'],
    ['www.example.com', ''],
    ['api.synology.com', ''],
  ])('%s → %j', (name, id) => {
    expect(m.match(name)).toBe(id);
  });
});

describe('normalizeName', () => {
  it('lowercases, drops the trailing dot and converts Unicode labels', () => {
    expect(normalizeName('WWW.Example.COM.')).toBe('www.example.com');
    expect(normalizeName('Straße.de')).toBe('xn--strae-oqa.de');
  });
});
