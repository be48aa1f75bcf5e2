/**
 * Does the router's watchlist traffic follow the devices' browsing? For each router lookup of a watched
 * service we look back a short window for a device's lookup of a name it had not asked for recently (a "new
 * domain"), and compare the share found with the share the same router timeline finds when shifted by random
 * offsets (a permutation baseline: same lookups, same browsing, no relation in time). Pure; time is an input.
 */

import { lowerBound } from './rates';

/** How far back from a router lookup a device's new-domain lookup counts, by default. */
export const DEFAULT_WINDOW_MS = 3000;
/** Longest window accepted (a longer one covers most of any busy timeline and means nothing). */
export const MAX_WINDOW_MS = 60_000;
/** A name a client asked for within this long is not new to it. */
export const NEW_DOMAIN_MEMORY_MS = 30 * 60_000;
/** Shifted timelines averaged for the chance share. */
export const DEFAULT_PERMUTATIONS = 40;
/** Fixed, so the same capture always gives the same chance share. */
export const DEFAULT_SEED = 0x5eed_c0de;
/** Fewer router lookups than this get figures but no verdict. */
export const MIN_LOOKUPS = 10;

/**
 * True for a lookup that can stand for a visit: not a reverse lookup (PTR, *.arpa), not a local or mDNS name,
 * not the root. These are what router URL filters classify (TP-Link's xt_pctl also skips in-addr.arpa).
 */
export function isBrowsingLookup(qname: string, qtype: string): boolean {
  return isBrowsingType(qtype) && isBrowsingName(qname);
}

/** The name part of isBrowsingLookup. */
export function isBrowsingName(qname: string): boolean {
  if (qname === '' || qname === '.' || !qname.includes('.')) return false;
  return !/\.(arpa|local|lan|home|internal|localdomain)$/.test(qname);
}

/** The type part of isBrowsingLookup: not PTR, SOA or NS. */
export function isBrowsingType(qtype: string): boolean {
  return qtype !== 'PTR' && qtype !== 'SOA' && qtype !== 'NS';
}

/**
 * Remembers when each key (a client and a name) was last asked for, for `memoryMs`, and says whether a
 * lookup is new. Memory is bounded by what was asked within about twice `memoryMs`: two generations of
 * maps, the older dropped whole when the newer is `memoryMs` old.
 */
export class NewDomainTracker<K extends string | number> {
  private current = new Map<K, number>();
  private previous = new Map<K, number>();
  private genStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly memoryMs = NEW_DOMAIN_MEMORY_MS) {}

  /** Notes a lookup of `key` at `ts`; true when `key` was not asked for in the `memoryMs` before. */
  observe(ts: number, key: K): boolean {
    if (ts - this.genStart >= this.memoryMs) {
      // Everything in `previous` is older than genStart, which is now at least memoryMs ago.
      this.previous = this.current;
      this.current = new Map();
      this.genStart = ts;
    }
    const last = this.current.get(key) ?? this.previous.get(key);
    this.current.set(key, last === undefined ? ts : Math.max(ts, last));
    return last === undefined || ts - last >= this.memoryMs;
  }

  /** Keys held (both generations; a key may be counted twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/** Devices' new-domain lookups, oldest first: `ts[i]` by the client at index `client[i]` of `clients`. */
export interface NewDomainLookups {
  readonly ts: ArrayLike<number>;
  readonly client: ArrayLike<number>;
  readonly clients: readonly string[];
}

export interface CorrelationOptions {
  /** Look-back window, ms (default 3000). */
  readonly windowMs?: number;
  readonly permutations?: number;
  readonly seed?: number;
  /** The span the router timeline is shifted within (default: from the first to the last lookup of either). */
  readonly from?: number;
  readonly to?: number;
  /** Client indexes whose new-domain lookups are ignored (the router's own, unless it proxies the devices). */
  readonly exclude?: ReadonlySet<number>;
}

/** How one device's new-domain lookups relate to the router's lookups. */
export interface DeviceCorrelation {
  readonly address: string;
  /** Its new-domain lookups. */
  readonly newDomains: number;
  /** Of those, how many a router lookup followed within the window. */
  readonly followed: number;
  readonly followedShare: number;
  /** Router lookups whose latest preceding new-domain lookup (within the window) was this device's. */
  readonly attributed: number;
}

/**
 * "tracks-browsing": well above chance; "independent": about chance; "unclear": in between; "too-few":
 * fewer than MIN_LOOKUPS router lookups, or no device lookups to compare with.
 */
export type CorrelationVerdict = 'tracks-browsing' | 'independent' | 'unclear' | 'too-few';

export interface Correlation {
  readonly windowMs: number;
  /** Router lookups examined. */
  readonly lookups: number;
  /** Of those, how many came within the window after a device's new-domain lookup. */
  readonly followed: number;
  /** followed / lookups (0 without lookups). */
  readonly followedShare: number;
  /** The mean share over the shifted timelines: what the same lookups would find by chance. */
  readonly chanceShare: number;
  /** The 95th percentile of the shifted shares. */
  readonly chanceHigh: number;
  /** Permutation p-value: share of shifted timelines (plus one) that did at least as well as the real one. */
  readonly pValue: number;
  /** Devices' new-domain lookups considered. */
  readonly newDomains: number;
  /** Devices with new-domain lookups, most attributed router lookups first. */
  readonly devices: readonly DeviceCorrelation[];
  readonly verdict: CorrelationVerdict;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Sorted, disjoint [start, end] intervals: the union of [t, t + w] over ascending `ts`. */
function coverage(ts: Float64Array, w: number): { starts: Float64Array; ends: Float64Array; n: number } {
  const starts = new Float64Array(ts.length);
  const ends = new Float64Array(ts.length);
  let n = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (n > 0 && t <= ends[n - 1]!) ends[n - 1] = Math.max(ends[n - 1]!, t + w);
    else {
      starts[n] = t;
      ends[n] = t + w;
      n++;
    }
  }
  return { starts, ends, n };
}

/** How many of `values[lo..hi)` shifted by `shift` (ascending) fall inside the intervals. */
function countCovered(
  values: ArrayLike<number>,
  lo: number,
  hi: number,
  shift: number,
  cov: { starts: Float64Array; ends: Float64Array; n: number },
): number {
  // Start at the first interval that can hold the run's first value.
  let p = lo < hi ? lowerBound(cov.ends.subarray(0, cov.n), values[lo]! + shift) : 0;
  let count = 0;
  for (let i = lo; i < hi; i++) {
    const v = values[i]! + shift;
    while (p < cov.n && cov.ends[p]! < v) p++;
    if (p === cov.n) break;
    if (cov.starts[p]! <= v) count++;
  }
  return count;
}

/**
 * Correlates ascending router lookup times with the devices' new-domain lookups. A lookup at t is "followed"
 * when a new-domain lookup lies in [t − window, t] (both edges count). The chance share shifts the router's
 * timeline circularly within [from, to] by offsets of at least ten windows (at most a quarter of the span),
 * so the devices' browsing and the router's own rhythm (bursts, beacons) are both kept, only their alignment
 * is lost. Costs O(permutations × (lookups + new domains)).
 */
export function correlate(
  lookups: ArrayLike<number>,
  nd: NewDomainLookups,
  opts: CorrelationOptions = {},
): Correlation {
  const windowMs = Math.max(0, opts.windowMs ?? DEFAULT_WINDOW_MS);
  const exclude = opts.exclude;
  // Keep only the considered clients' lookups.
  let ndTs: Float64Array;
  let ndClient: Int32Array;
  if (exclude && exclude.size > 0) {
    const keep: number[] = [];
    for (let i = 0; i < nd.ts.length; i++) if (!exclude.has(nd.client[i]!)) keep.push(i);
    ndTs = Float64Array.from(keep, (i) => nd.ts[i]!);
    ndClient = Int32Array.from(keep, (i) => nd.client[i]!);
  } else {
    ndTs = Float64Array.from(nd.ts);
    ndClient = Int32Array.from(nd.client);
  }
  const n = lookups.length;
  const m = ndTs.length;

  // The real timeline: which lookups are followed, and by whose lookup (the latest one in the window).
  const attributed = new Map<number, number>();
  let followed = 0;
  for (let i = 0, j = 0; i < n; i++) {
    const t = lookups[i]!;
    while (j < m && ndTs[j]! <= t) j++;
    if (j > 0 && t - ndTs[j - 1]! <= windowMs) {
      followed++;
      const c = ndClient[j - 1]!;
      attributed.set(c, (attributed.get(c) ?? 0) + 1);
    }
  }
  // Each device's side: which of its new-domain lookups a router lookup followed.
  const perDevice = new Map<number, { newDomains: number; followed: number }>();
  for (let j = 0, k = 0; j < m; j++) {
    const t = ndTs[j]!;
    while (k < n && lookups[k]! < t) k++;
    const c = ndClient[j]!;
    let d = perDevice.get(c);
    if (!d) {
      d = { newDomains: 0, followed: 0 };
      perDevice.set(c, d);
    }
    d.newDomains++;
    if (k < n && lookups[k]! - t <= windowMs) d.followed++;
  }
  const devices: DeviceCorrelation[] = [...perDevice.entries()]
    .map(([c, d]) => ({
      address: nd.clients[c] ?? String(c),
      newDomains: d.newDomains,
      followed: d.followed,
      followedShare: d.newDomains > 0 ? d.followed / d.newDomains : 0,
      attributed: attributed.get(c) ?? 0,
    }))
    .sort((a, b) => b.attributed - a.attributed || b.followed - a.followed || cmp(a.address, b.address));

  const followedShare = n > 0 ? followed / n : 0;
  const chance = chanceShares(lookups, ndTs, windowMs, opts);
  const sorted = Float64Array.from(chance).sort();
  const chanceShare = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  const chanceHigh = sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!
    : 0;
  const atLeast = sorted.length - lowerBound(sorted, followedShare - 1e-12);
  const pValue = (1 + atLeast) / (1 + sorted.length);
  return {
    windowMs,
    lookups: n,
    followed,
    followedShare,
    chanceShare,
    chanceHigh,
    pValue,
    newDomains: m,
    devices,
    verdict: verdictOf(n, m, followedShare, chanceShare, chanceHigh),
  };
}

/** The followed share of each circularly shifted router timeline (empty when there is nothing to shift). */
function chanceShares(
  lookups: ArrayLike<number>,
  ndTs: Float64Array,
  windowMs: number,
  opts: CorrelationOptions,
): number[] {
  const n = lookups.length;
  const m = ndTs.length;
  if (n === 0 || m === 0) return [];
  const from = opts.from ?? Math.min(lookups[0]!, ndTs[0]!);
  const to = opts.to ?? Math.max(lookups[n - 1]!, ndTs[m - 1]!);
  // Values live in [from, from + span); one extra ms keeps the last one inside.
  const span = Math.max(to - from, 0) + 1;
  const minShift = Math.min(10 * windowMs, span / 4);
  const random = seededRandom(opts.seed ?? DEFAULT_SEED);
  const cov = coverage(ndTs, windowMs);
  const shares: number[] = [];
  const perms = Math.max(1, Math.floor(opts.permutations ?? DEFAULT_PERMUTATIONS));
  // Lookups outside [from, to] are not moved around the circle; only those inside are shifted.
  const lo = lowerBound(lookups, from);
  const hi = lowerBound(lookups, from + span);
  const inside = hi - lo;
  if (inside === 0) return [];
  for (let p = 0; p < perms; p++) {
    const offset = minShift + random() * (span - 2 * minShift);
    // Lookups that pass the end wrap to the start: two ascending runs.
    const wrap = lowerBound(lookups, from + span - offset);
    const k = Math.max(lo, Math.min(hi, wrap));
    const count =
      countCovered(lookups, k, hi, offset - span, cov) + countCovered(lookups, lo, k, offset, cov);
    shares.push(count / inside);
  }
  return shares;
}

function verdictOf(
  lookups: number,
  newDomains: number,
  followed: number,
  chance: number,
  chanceHigh: number,
): CorrelationVerdict {
  if (lookups < MIN_LOOKUPS || newDomains === 0) return 'too-few';
  // Well above chance both in difference and ratio, and above what 95 % of the shifted timelines reach.
  if (followed >= chance + 0.25 && followed >= 2 * chance && followed > chanceHigh) return 'tracks-browsing';
  if (followed <= chance + 0.1) return 'independent';
  return 'unclear';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
