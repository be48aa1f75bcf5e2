import { describe, expect, it } from 'vitest';
import { seededRandom } from './correlation';
import {
  DOMAIN_CAP,
  ENCODED_MIN_LENGTH,
  LookupShapeAccumulator,
  looksEncoded,
  OTHER_DOMAINS,
  registrableDomain,
  shannonEntropy,
  subdomainLabels,
} from './lookup-shape';

/** Labels of real host names: the watchlist's, and what phones, PCs, TVs and CDNs ask every day. */
const REAL_LABELS = [
  ...['www', 'dfp-dual', 'safethings', 'n-deventry-gw', 'n-devs-gw', 'api-homecare-cloud', 'homecare-v2'],
  ...[
    'ntd-asus-2014b-en-cfg',
    'rgom10-asus-en',
    'nimbus',
    'time-a',
    'updates1',
    'devicelocation',
    'msftncsi',
  ],
  ...['googleusercontent', 'clientservices', 'connectivitycheck', 'safebrowsing', 'googletagmanager'],
  ...['googlesyndication', 'doubleclick', 'pagead2', 'ytimg', 'r3---sn-4g5ednsz', 'rr5---sn-aigl6nsd'],
  ...['mozilla-ohttp-relay', 'incoming-telemetry', 'firefoxusercontent', 'firebaseinstallations'],
  ...['crashlyticsreports-pa', 'app-measurement', 'e673', 'dsce9', 'd3c33hcgiwev3', 'd1a2b3c4d5e6f7'],
  ...['s3-us-west-2', 'prod-ingestion-eu-central-1', 'xn--bcher-kva', 'xn--mnchen-3ya-gst', 'ocsp2'],
  ...[
    'img-prod-cms-rt-microsoft-com',
    'settings-win',
    'settings-win-ppe',
    'microsoftonline',
    'windowsupdate',
  ],
  ...['scontent-ams4-1', 'edge-star-mini-shv-01-ams4', 'ec2-54-123-45-67', 'ip-10-0-0-1', 'us-east-1'],
  ...['gsp64-ssl', 'audio-ak-spotify-com', 'ipv4-c001-ams001-ix', 'occ-0-769-768', 'nflxvideo'],
  ...['my-loadbalancer-1234567890', 'mybucket-1234567890abcdef', 'device-metrics-us', 'p34-contacts'],
  ...['supportsecuremultipurposeinternetmailextensions', 'accountscenterdiagnostics', 'weathermapdata'],
  ...['cdn77-vid', 'lb-140-82-113-4-iad', 'a2047', 'dscq', 'e3130', 'dscapi6', 'akamaiedge', 'clients4'],
  ...['smartthings', 'tplinkcloud', 'wpad', 'captive', 'mesu', 'swscan', 'gateway', 'fe2cr', 'fe3cr'],
  ...['teams', 'outlook', 'office365', 'login', 'graph', 'instagram', 'whatsapp', 'mmg', 'static'],
  ...['edge-mqtt', 'star-mini', 'vortex-win', 'v10', 'events', 'self', 'browser', 'pipe', 'mobile'],
  ...['thisisaverylonghostnameforaservice', 'chromewebstore', 'optimizationguide-pa', 'content-autofill'],
  ...['update-googleapis', 'safebrowsing-cache', 'playatoms-pa', 'android-context-data', 'mtalk4'],
];

/** Random bytes as lowercase hex, base32 and base64url (as a DNS name carries it: lowercased). */
function encodings(r: () => number, bytes: number): { hex: string; base32: string; base64: string } {
  const b = Array.from({ length: bytes }, () => Math.floor(r() * 256));
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  const a32 = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let base32 = '';
  for (const x of b) {
    value = (value << 8) | x;
    bits += 8;
    while (bits >= 5) {
      base32 += a32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  const base64 = btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
    .toLowerCase();
  return { hex, base32, base64 };
}

describe('looksEncoded', () => {
  it('calls no real host label encoded', () => {
    const flagged = REAL_LABELS.filter(looksEncoded);
    expect(flagged).toEqual([]);
  });

  it('calls ≥ 95 % of hex, base32 and base64url labels (16–63 chars) of 10–31 random bytes encoded', () => {
    const r = seededRandom(42);
    const kinds = { hex: [] as string[], base32: [] as string[], base64: [] as string[] };
    for (let i = 0; i < 600; i++) {
      const e = encodings(r, 10 + Math.floor(r() * 22));
      // Shorter labels are never flagged, by design (short host ids look the same).
      for (const k of ['hex', 'base32', 'base64'] as const)
        if (e[k].length >= ENCODED_MIN_LENGTH && e[k].length <= 63) kinds[k].push(e[k]);
    }
    for (const [kind, labels] of Object.entries(kinds)) {
      const share = labels.filter(looksEncoded).length / labels.length;
      console.log(`${kind}: ${(share * 100).toFixed(1)} % of ${labels.length} flagged`);
      expect(share, kind).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('flags the encoded names reported for other security clouds', () => {
    // McAfee (wtfbins #33) and a WRS-style hash label.
    expect(looksEncoded('jsdhk1cfzc4r9jrf2j214zd4gi')).toBe(true);
    expect(looksEncoded('b3000081e4d2c9a1f00b')).toBe(true);
    expect(looksEncoded('5d41402abc4b2a76b9719d911017c592')).toBe(true);
  });

  it('never for short labels, all-digit or all-letter hex-alphabet words, or punycode', () => {
    expect(looksEncoded('a1b2c3d4e5f6a7b')).toBe(false);
    expect('a1b2c3d4e5f6a7b'.length).toBe(ENCODED_MIN_LENGTH - 1);
    expect(looksEncoded('1234567890123456')).toBe(false);
    expect(looksEncoded('deadbeefcafebabe')).toBe(false);
    expect(looksEncoded('xn--80akhbyknj4f1a2b3c4d')).toBe(false);
  });
});

describe('registrableDomain and labels', () => {
  it('takes the last two labels, three under a known multi-label suffix', () => {
    expect(registrableDomain('dfp-dual.safethings.avira.com')).toBe('avira.com');
    expect(registrableDomain('rgom10-en.url.trendmicro.com')).toBe('trendmicro.com');
    expect(registrableDomain('www.bbc.co.uk')).toBe('bbc.co.uk');
    expect(registrableDomain('a.b.example.com.au')).toBe('example.com.au');
    expect(registrableDomain('router.asuscomm.com')).toBe('router.asuscomm.com');
    expect(registrableDomain('ifconfig.me')).toBe('ifconfig.me');
    expect(registrableDomain('localhost')).toBe('localhost');
    expect(registrableDomain('1.0.168.192.in-addr.arpa')).toBe('in-addr.arpa');
    expect(registrableDomain('x.example.com.')).toBe('example.com');
  });

  it('subdomain labels are what is left of it', () => {
    expect(subdomainLabels('x1.y.safethings.avira.com')).toEqual(['x1', 'y', 'safethings']);
    expect(subdomainLabels('avira.com')).toEqual([]);
    expect(subdomainLabels('www.bbc.co.uk')).toEqual(['www']);
  });

  it('Shannon entropy in bits per character', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('ab')).toBe(1);
    expect(shannonEntropy('0123456789abcdef')).toBe(4);
  });
});

describe('LookupShapeAccumulator', () => {
  const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

  it('a router asking hashed names under one domain, some TXT: encoded lookups', () => {
    const r = seededRandom(5);
    const acc = new LookupShapeAccumulator();
    for (let i = 0; i < 600; i++) {
      const { hex } = encodings(r, 12);
      acc.add(T0 + i * 1000, `${hex}.wrs.trendmicro.com`, i % 4 === 0 ? 'TXT' : 'A');
      // A connectivity check in between.
      if (i % 10 === 0) acc.add(T0 + i * 1000 + 1, 'dns.msftncsi.com', 'A');
    }
    const [tm, ms] = acc.shapes(10 * 60_000);
    expect(tm).toMatchObject({ domain: 'trendmicro.com', queries: 600, distinctNames: 600, encoded: true });
    expect(tm!.txtShare).toBe(0.25);
    expect(tm!.otherTypeShare).toBe(0.25);
    expect(tm!.types).toEqual({ TXT: 0.25, A: 0.75 });
    expect(tm!.encodedShare).toBe(1);
    expect(tm!.meanLabelLength).toBe(24);
    expect(tm!.meanEntropy).toBeGreaterThan(3.3);
    // 600 distinct names over the 10 minutes observed: 3,600 an hour.
    expect(tm!.distinctPerHour).toBeCloseTo(3600, 0);
    expect(ms).toMatchObject({ domain: 'msftncsi.com', queries: 60, distinctNames: 1, encoded: false });
    expect(ms!.encodedShare).toBe(0);
  });

  it('plain host names are not encoded lookups', () => {
    const acc = new LookupShapeAccumulator();
    for (const [i, label] of REAL_LABELS.entries()) acc.add(T0 + i, `${label}.example.com`, 'AAAA');
    const [ex] = acc.shapes(60_000);
    expect(ex).toMatchObject({ domain: 'example.com', encoded: false, encodedShare: 0, txtShare: 0 });
  });

  it('caps the number of domains, counting the rest together', () => {
    const acc = new LookupShapeAccumulator();
    for (let i = 0; i < DOMAIN_CAP + 10; i++) acc.add(T0 + i, `www.d${i}.example`, 'A');
    expect(acc.size).toBe(DOMAIN_CAP + 1);
    const other = acc.shapes(60_000, DOMAIN_CAP + 1).find((d) => d.domain === OTHER_DOMAINS);
    expect(other?.queries).toBe(10);
  });
});
