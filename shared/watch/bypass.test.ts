import { describe, expect, it } from 'vitest';
import { BypassMatcher, bypassChecks, BypassTracker, MAX_SIGHTINGS } from './bypass';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const PHONE = '192.168.0.23';
const LAPTOP = '192.168.0.42';
const ROUTER = '192.168.0.1';

/** A synthetic timeline: [seconds after T0, client, name]. */
function run(timeline: readonly (readonly [number, string, string])[]) {
  const t = new BypassTracker();
  for (const [s, client, name] of timeline) t.add(client, name, T0 + s * 1000);
  return t;
}

describe('the bypass list', () => {
  const m = new BypassMatcher();

  it.each([
    ['use-application-dns.net', 'mozilla-canary'],
    ['mask.icloud.com', 'apple-private-relay'],
    ['_dns.resolver.arpa', 'ddr-discovery'],
    ['mozilla.cloudflare-dns.com', 'firefox-doh'],
    ['1dot1dot1dot1.cloudflare-dns.com', 'cloudflare'],
    ['dns.google', 'google-public-dns'],
    ['dns11.quad9.net', 'quad9'],
    ['resolver1.opendns.com', 'opendns-resolvers'],
    ['www.google.com', ''],
    ['www.icloud.com', ''],
    ['cloudflare.com', ''],
  ])('%s → %j', (name, id) => {
    expect(m.match(name)).toBe(id);
  });
});

describe('bypass detection on a timeline', () => {
  it('flags each device that asked, with counts and first/last times', () => {
    const t = run([
      [0, PHONE, 'www.example.org'],
      [5, PHONE, 'use-application-dns.net'],
      [6, PHONE, 'mozilla.cloudflare-dns.com'],
      [600, PHONE, 'mozilla.cloudflare-dns.com'],
      [30, LAPTOP, 'www.wikipedia.org'],
      [31, LAPTOP, 'news.example.com'],
    ]);
    const s = t.sightings();
    expect(s.map((x) => [x.address, x.entry, x.count])).toEqual([
      [PHONE, 'firefox-doh', 2],
      [PHONE, 'mozilla-canary', 1],
    ]);
    expect(s[0]!.firstTs).toBe(T0 + 6000);
    expect(s[0]!.lastTs).toBe(T0 + 600_000);
    const checks = bypassChecks(s);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ code: 'device-bypass', severity: 'warning', address: PHONE });
    expect(checks[0]!.title).toContain(PHONE);
    expect(checks[0]!.message).toContain('lower bound');
    expect(checks[0]!.message).toContain('DNS-over-HTTPS');
  });

  it('calls a canary alone a question, not a bypass', () => {
    const checks = bypassChecks(run([[1, LAPTOP, 'use-application-dns.net']]).sightings());
    expect(checks[0]).toMatchObject({ severity: 'info', address: LAPTOP });
    expect(checks[0]!.message).toContain('only a question');
  });

  it('names the router when the router itself asks for a resolver', () => {
    const checks = bypassChecks(run([[1, ROUTER, 'dns.google']]).sightings(), (a) => a === ROUTER);
    expect(checks[0]!.title).toBe(`The router (${ROUTER}) may resolve names without DNS Witness`);
  });

  it('says nothing for a household without bypass lookups', () => {
    const t = run([
      [0, PHONE, 'www.example.org'],
      [1, LAPTOP, 'connectivitycheck.gstatic.com'],
    ]);
    expect(bypassChecks(t.sightings())).toEqual([]);
  });

  it('stays bounded and counts what it drops', () => {
    const t = new BypassTracker();
    for (let i = 0; i < MAX_SIGHTINGS + 10; i++) t.add(`10.0.${i >> 8}.${i & 255}`, 'dns.google', T0 + i);
    expect(t.sightings()).toHaveLength(MAX_SIGHTINGS);
    expect(t.dropped).toBe(10);
  });
});
