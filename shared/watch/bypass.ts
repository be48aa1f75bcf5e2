/**
 * Bypass detection: lookups that show a device may resolve names without DNS Witness (public DNS-over-HTTPS
 * and DNS-over-TLS resolvers, encrypted-DNS canaries, resolver names software contacts directly), from the
 * sourced list in shared/kb/bypass.json. Per device, counted with first and last time. Pure; time is input.
 */
import { KB_BYPASS } from '../kb/index';
import type { BypassEntry, BypassKind } from '../kb/schema';
import { WatchMatcher } from './match';
import type { WatchRule } from './rules';
import type { VisibilityCheck } from './visibility';

/** What one device asked of one list entry. */
export interface BypassSighting {
  readonly address: string;
  /** The list entry's id, e.g. "mozilla-canary". */
  readonly entry: string;
  readonly provider: string;
  readonly kinds: readonly BypassKind[];
  readonly count: number;
  /** Epoch ms. */
  readonly firstTs: number;
  readonly lastTs: number;
  /** The first name seen, e.g. "use-application-dns.net". */
  readonly name: string;
}

/** Device × entry pairs kept at most; more are counted in `dropped`, never stored. */
export const MAX_SIGHTINGS = 4096;

const asRule = (e: BypassEntry): WatchRule => ({
  id: e.id,
  vendor: e.provider,
  integration: '',
  routerBrands: [],
  patterns: e.patterns,
  category: 'connectivity',
  confidence: 'documented',
  confidenceNote: '',
  enabled: true,
  explanation: e.note,
  evidence: '',
  sources: [],
});

/** Matches names against a bypass list (the built-in one by default). `match` never throws. */
export class BypassMatcher {
  private readonly matcher: WatchMatcher;
  readonly entries: ReadonlyMap<string, BypassEntry>;

  constructor(entries: readonly BypassEntry[] = KB_BYPASS.entries) {
    this.matcher = new WatchMatcher(entries.map(asRule));
    this.entries = new Map(entries.map((e) => [e.id, e]));
  }

  /** The entry id `name` belongs to, or "" for none. */
  match(name: string): string {
    return this.matcher.match(name);
  }
}

interface Mutable {
  address: string;
  entry: string;
  count: number;
  firstTs: number;
  lastTs: number;
  name: string;
}

/** Counts bypass lookups per device and entry; bounded by MAX_SIGHTINGS. */
export class BypassTracker {
  private readonly seen = new Map<string, Mutable>();
  dropped = 0;

  constructor(readonly matcher: BypassMatcher = new BypassMatcher()) {}

  /** Notes one lookup of `name` by `address` at `ts`; returns the entry id it matched ("" for none). */
  add(address: string, name: string, ts: number): string {
    const entry = this.matcher.match(name);
    if (entry !== '') this.addEntry(address, entry, name, ts);
    return entry;
  }

  /** Notes a lookup already matched to `entry` (the engine caches matches per name). */
  addEntry(address: string, entry: string, name: string, ts: number): void {
    const key = `${address} ${entry}`;
    const s = this.seen.get(key);
    if (s) {
      s.count++;
      if (ts < s.firstTs) s.firstTs = ts;
      if (ts > s.lastTs) s.lastTs = ts;
      return;
    }
    if (this.seen.size >= MAX_SIGHTINGS) {
      this.dropped++;
      return;
    }
    this.seen.set(key, { address, entry, count: 1, firstTs: ts, lastTs: ts, name });
  }

  /** Every sighting, most lookups first. */
  sightings(): BypassSighting[] {
    return [...this.seen.values()]
      .map((s) => {
        const e = this.matcher.entries.get(s.entry);
        return { ...s, provider: e?.provider ?? s.entry, kinds: e?.kinds ?? [] };
      })
      .sort((a, b) => b.count - a.count || a.address.localeCompare(b.address));
  }
}

/** What each kind of lookup says about the device, in a few words. */
const KIND_TEXT: Readonly<Record<BypassKind, string>> = {
  canary: 'asked whether it may switch to encrypted DNS',
  doh: 'looked up a DNS-over-HTTPS resolver',
  dot: 'looked up a DNS-over-TLS resolver',
  hardcoded: 'looked up a resolver it contacts directly',
};

const list = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/**
 * One visibility warning per device that looked up a bypass name: which providers, how often, and what it
 * means ("what you see is a lower bound"). `isRouter` says which addresses are the router. Never throws.
 */
export function bypassChecks(
  sightings: readonly BypassSighting[],
  isRouter: (address: string) => boolean = () => false,
): VisibilityCheck[] {
  const byDevice = new Map<string, BypassSighting[]>();
  for (const s of sightings) {
    const l = byDevice.get(s.address);
    if (l) l.push(s);
    else byDevice.set(s.address, [s]);
  }
  const out: VisibilityCheck[] = [];
  for (const [address, ss] of byDevice) {
    const total = ss.reduce((n, s) => n + s.count, 0);
    const kinds = [...new Set(ss.flatMap((s) => s.kinds))];
    const canaryOnly = kinds.every((k) => k === 'canary');
    const providers = [...new Set(ss.map((s) => s.provider))].slice(0, 4);
    const who = isRouter(address) ? `The router (${address})` : `The device ${address}`;
    out.push({
      code: 'device-bypass',
      severity: canaryOnly ? 'info' : 'warning',
      address,
      rule: ss[0]!.entry,
      title: `${who} may resolve names without DNS Witness`,
      message:
        `It ${list(kinds.map((k) => KIND_TEXT[k]))} (${list(providers)}; ${total} ${total === 1 ? 'lookup' : 'lookups'}, ` +
        `first ${ss[0]!.name}). Names it resolves that way never reach DNS Witness: what you see for it is a lower bound. ` +
        (canaryOnly
          ? 'A canary alone is only a question: if its answer is blocked here, the device stays with plain DNS.'
          : 'To keep it visible, turn off “secure DNS”, “Private DNS” or DNS-over-TLS on that device, or block the resolver names listed in the watchlist.'),
    });
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1));
}
