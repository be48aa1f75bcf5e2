import { describe, expect, it } from 'vitest';
import {
  correlate,
  isBrowsingLookup,
  NEW_DOMAIN_MEMORY_MS,
  NewDomainTracker,
  seededRandom,
  type NewDomainLookups,
} from './correlation';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;

interface Query {
  readonly ts: number;
  readonly client: string;
  readonly qname: string;
}

/**
 * A household on a synthetic clock: each device visits a new site at random (Poisson, mean `meanGapMs`)
 * and in between re-asks names it already knows, as browsers and apps do.
 */
function household(
  clients: readonly string[],
  spanMs: number,
  meanGapMs: number,
  seed: number,
): { queries: Query[]; fresh: Query[] } {
  const r = seededRandom(seed);
  const queries: Query[] = [];
  const fresh: Query[] = [];
  for (const client of clients) {
    const known: string[] = [];
    let t = T0;
    for (let i = 0; ; i++) {
      t += -Math.log(1 - r()) * meanGapMs;
      if (t >= T0 + spanMs) break;
      const q = { ts: t, client, qname: `site${i}.${client}.example` };
      queries.push(q);
      fresh.push(q);
      known.push(q.qname);
      // A repeat of a recent name a few seconds later: not new, so never a trigger.
      const recent = known.slice(-5);
      const again = recent[Math.floor(r() * recent.length)]!;
      queries.push({ ts: t + 5_000 + r() * 10_000, client, qname: again });
    }
  }
  queries.sort((a, b) => a.ts - b.ts);
  fresh.sort((a, b) => a.ts - b.ts);
  return { queries, fresh };
}

/** The new-domain lookups of `queries` as the engine derives them (a tracker with a 30 min memory). */
function newDomains(queries: readonly Query[]): NewDomainLookups {
  const tracker = new NewDomainTracker<string>();
  const clients: string[] = [];
  const ts: number[] = [];
  const client: number[] = [];
  for (const q of queries) {
    if (!tracker.observe(q.ts, `${q.client} ${q.qname}`)) continue;
    let c = clients.indexOf(q.client);
    if (c < 0) c = clients.push(q.client) - 1;
    ts.push(q.ts);
    client.push(c);
  }
  return { ts, client, clients };
}

describe('correlate on synthetic timelines', () => {
  const { queries, fresh } = household(['10.0.0.23', '10.0.0.42'], 2 * HOUR, 60_000, 7);
  const nd = newDomains(queries);

  it('derives exactly the first visits as new domains (repeats are not new)', () => {
    expect(nd.ts.length).toBe(fresh.length);
    expect(fresh.length).toBeGreaterThan(200);
  });

  it('router lookups 0.2–1 s after each new domain: followed ≈ 100 %, chance low, tracks browsing', () => {
    const r = seededRandom(11);
    const lookups = fresh.map((q) => q.ts + 200 + r() * 800).sort((a, b) => a - b);
    const c = correlate(lookups, nd);
    console.log(
      `following router: followed ${(c.followedShare * 100).toFixed(1)} %, chance ${(c.chanceShare * 100).toFixed(1)} % (95th pct ${(c.chanceHigh * 100).toFixed(1)} %), p=${c.pValue.toFixed(3)}`,
    );
    expect(c.lookups).toBe(fresh.length);
    expect(c.followedShare).toBe(1);
    expect(c.chanceShare).toBeLessThan(0.15);
    expect(c.chanceHigh).toBeLessThan(0.2);
    expect(c.pValue).toBeLessThan(0.05);
    expect(c.verdict).toBe('tracks-browsing');
    expect(c.windowMs).toBe(3000);
  });

  it('an independent 1 s beacon: followed ≈ chance (both low), independent', () => {
    const lookups: number[] = [];
    for (let t = T0 + 137; t < T0 + 2 * HOUR; t += 1000) lookups.push(t);
    const c = correlate(lookups, nd);
    console.log(
      `beacon router: followed ${(c.followedShare * 100).toFixed(1)} %, chance ${(c.chanceShare * 100).toFixed(1)} %`,
    );
    expect(c.lookups).toBe(7200);
    expect(c.followedShare).toBeLessThan(0.15);
    expect(Math.abs(c.followedShare - c.chanceShare)).toBeLessThan(0.03);
    expect(c.verdict).toBe('independent');
  });

  it('separates the two clearly at any window from 1 s to 10 s', () => {
    const r = seededRandom(12);
    const following = fresh.map((q) => q.ts + 200 + r() * 800).sort((a, b) => a - b);
    const beacon = Array.from({ length: 7200 }, (_, i) => T0 + 500 + i * 1000);
    for (const windowMs of [1000, 3000, 10_000]) {
      const f = correlate(following, nd, { windowMs });
      const b = correlate(beacon, nd, { windowMs });
      expect(f.followedShare - f.chanceShare).toBeGreaterThan(0.6);
      expect(Math.abs(b.followedShare - b.chanceShare)).toBeLessThan(0.05);
    }
  });

  it('is reproducible: the same seed gives the same chance share', () => {
    const beacon = Array.from({ length: 7200 }, (_, i) => T0 + 500 + i * 1000);
    const a = correlate(beacon, nd, { seed: 1 });
    const b = correlate(beacon, nd, { seed: 1 });
    const c = correlate(beacon, nd, { seed: 2 });
    expect(a).toEqual(b);
    expect(Math.abs(a.chanceShare - c.chanceShare)).toBeLessThan(0.02);
  });

  it('breaks it down by device: the one whose lookups the router follows comes first', () => {
    const r = seededRandom(13);
    const lookups = fresh
      .filter((q) => q.client === '10.0.0.42')
      .map((q) => q.ts + 200 + r() * 800)
      .sort((a, b) => a - b);
    const c = correlate(lookups, nd);
    const [top, other] = c.devices;
    expect(top).toMatchObject({ address: '10.0.0.42', followedShare: 1 });
    expect(top!.attributed).toBeGreaterThan(0.9 * lookups.length);
    expect(other!.address).toBe('10.0.0.23');
    expect(other!.followedShare).toBeLessThan(0.15);
    expect(c.followedShare).toBe(1);
  });
});

describe('correlate edge cases', () => {
  const one = (ts: number[], client = 0): NewDomainLookups => ({
    ts,
    client: ts.map(() => client),
    clients: ['10.0.0.23', '10.0.0.1'],
  });

  it('no router lookups: zeros and "too few"', () => {
    const c = correlate([], one([T0, T0 + 1000]));
    expect(c).toMatchObject({
      lookups: 0,
      followed: 0,
      followedShare: 0,
      chanceShare: 0,
      verdict: 'too-few',
    });
    expect(c.newDomains).toBe(2);
    expect(c.devices).toEqual([
      { address: '10.0.0.23', newDomains: 2, followed: 0, followedShare: 0, attributed: 0 },
    ]);
  });

  it('no client traffic: nothing followed, chance 0, "too few"', () => {
    const lookups = Array.from({ length: 50 }, (_, i) => T0 + i * 1000);
    const c = correlate(lookups, one([]));
    expect(c).toMatchObject({
      lookups: 50,
      followed: 0,
      followedShare: 0,
      chanceShare: 0,
      pValue: 1,
      newDomains: 0,
      verdict: 'too-few',
    });
    expect(c.devices).toEqual([]);
  });

  it('window edges: exactly `window` before counts, 1 ms more does not, after the lookup does not', () => {
    const t = T0 + 60_000;
    const at = (ndAt: number, windowMs = 3000) => correlate([t], one([ndAt]), { windowMs }).followed;
    expect(at(t)).toBe(1);
    expect(at(t - 3000)).toBe(1);
    expect(at(t - 3001)).toBe(0);
    expect(at(t + 1)).toBe(0);
    expect(at(t - 5000, 5000)).toBe(1);
    expect(at(t - 1, 0)).toBe(0);
  });

  it('excluded clients (the router itself) are not triggers', () => {
    const lookups = [T0 + 1000, T0 + 61_000];
    const nd: NewDomainLookups = { ts: [T0 + 500, T0 + 60_500], client: [1, 1], clients: ['a', 'router'] };
    expect(correlate(lookups, nd).followed).toBe(2);
    expect(correlate(lookups, nd, { exclude: new Set([1]) })).toMatchObject({ followed: 0, newDomains: 0 });
  });

  it('lookups outside an explicit span are counted as lookups but not shifted', () => {
    const nd = one([T0, T0 + 10_000, T0 + 20_000]);
    const c = correlate([T0 + 500, T0 + 10_500, T0 + 99_000], nd, { from: T0, to: T0 + 30_000 });
    expect(c.lookups).toBe(3);
    expect(c.followed).toBe(2);
    expect(c.chanceShare).toBeGreaterThanOrEqual(0);
    expect(c.chanceShare).toBeLessThanOrEqual(1);
  });
});

describe('NewDomainTracker', () => {
  it('a name is new to a client the first time and again after 30 min without it', () => {
    const t = new NewDomainTracker<string>();
    expect(t.observe(T0, 'a x.example')).toBe(true);
    expect(t.observe(T0 + 1000, 'a x.example')).toBe(false);
    expect(t.observe(T0 + 1000, 'b x.example')).toBe(true);
    // Asked again at +29:59 (counted from the last time asked, +1 s): not new.
    expect(t.observe(T0 + 1000 + NEW_DOMAIN_MEMORY_MS - 1, 'a x.example')).toBe(false);
    expect(t.observe(T0 + 1000 + 2 * NEW_DOMAIN_MEMORY_MS - 1, 'a x.example')).toBe(true);
  });

  it('keeps memory bounded: names not asked for an hour are forgotten', () => {
    const t = new NewDomainTracker<number>(1000);
    for (let i = 0; i < 100_000; i++) t.observe(T0 + i, i);
    expect(t.size).toBeLessThanOrEqual(2000);
    // A key from the start is new again.
    expect(t.observe(T0 + 100_000, 0)).toBe(true);
  });

  it('out-of-order times never make a name new twice', () => {
    const t = new NewDomainTracker<string>();
    expect(t.observe(T0 + 5000, 'k')).toBe(true);
    expect(t.observe(T0 + 4000, 'k')).toBe(false);
    expect(t.observe(T0 + 6000, 'k')).toBe(false);
  });
});

describe('isBrowsingLookup', () => {
  it('counts names, not reverse, local or single-label lookups', () => {
    expect(isBrowsingLookup('www.example.com', 'A')).toBe(true);
    expect(isBrowsingLookup('www.example.com', 'HTTPS')).toBe(true);
    expect(isBrowsingLookup('1.0.168.192.in-addr.arpa', 'PTR')).toBe(false);
    expect(isBrowsingLookup('1.0.168.192.in-addr.arpa', 'A')).toBe(false);
    expect(isBrowsingLookup('printer.local', 'A')).toBe(false);
    expect(isBrowsingLookup('nas.home.arpa', 'AAAA')).toBe(false);
    expect(isBrowsingLookup('wpad', 'A')).toBe(false);
    expect(isBrowsingLookup('.', 'NS')).toBe(false);
  });
});
