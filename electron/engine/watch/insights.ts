import { lookupsPerHour } from '@shared/watch/lookup-rate';
import {
  correlate,
  DEFAULT_WINDOW_MS,
  isBrowsingName,
  isBrowsingType,
  NewDomainTracker,
} from '@shared/watch/correlation';
import { bypassChecks, BypassTracker } from '@shared/watch/bypass';
import { LookupShapeAccumulator, registrableDomain } from '@shared/watch/lookup-shape';
import { lowerBound } from '@shared/watch/rates';
import type { RouterDomainShape, RuleCorrelation } from '@shared/watch/report';
import { UnknownNames, type UnknownName } from '@shared/watch/unknown-names';
import { visibilityChecks, type BlockedRuleTraffic, type VisibilityCheck } from '@shared/watch/visibility';
import type { StoreCursor } from '../capture';
import type { EventColumns } from '../capture/columns';
import { TimeSeries } from './series';

/** What the tracker reads: every recorded event, incrementally. */
export interface InsightSource {
  scanSince(
    cursor: StoreCursor | null,
    visit: (cols: EventColumns, row: number) => void,
    maxRows?: number,
  ): StoreCursor | null;
}

/** The watch service's query times per rule and client. */
export interface RuleTimes {
  rulesAskedBy(clients: readonly string[]): string[];
  times(rule: string, clients: readonly string[]): Float64Array;
}

export interface InsightsRequest {
  /** Addresses that are the router now. */
  readonly routers: readonly string[];
  /** Per client: queries and whether it is the router. */
  readonly clients: readonly {
    readonly address: string;
    readonly queries: number;
    readonly isRouter: boolean;
  }[];
  /** Rules answered with a block now, with the service name for messages. */
  readonly blockedRules: ReadonlyMap<string, string>;
  readonly windowMs?: number;
  /** How long captures have recorded, ms. */
  readonly recordingMs: number;
  readonly now: number;
  /** Domains listed in the lookup shape, at most. */
  readonly shapeLimit?: number;
  /**
   * Rows read in this call, at most (default: all). When more wait, the answer is the last one computed
   * (or none) with `pending` set, and catchUp() reads the rest in slices.
   */
  readonly maxRows?: number;
}

export interface Insights {
  readonly correlation: RuleCorrelation[];
  readonly lookupShape: RouterDomainShape[];
  readonly visibility: VisibilityCheck[];
  /** The router's names that no rule (and no bypass entry) explains, most asked first. */
  readonly unknownNames?: UnknownName[];
  /** True while the capture is still being read: the figures are older ones, or none yet. */
  readonly pending?: boolean;
}

const NO_INSIGHTS: Insights = { correlation: [], lookupShape: [], visibility: [], pending: true };

// Keys of the new-domain memory: client × this + name, both small integers (exact in a double).
const NAME_SPACE = 2 ** 26;
/** The router's lookups before a block are compared over at most this long. */
const BEFORE_BLOCK_MS = 30 * 60_000;
/** Unknown router names listed in the report, at most. */
const UNKNOWN_NAMES_LIMIT = 200;
/** Cached results are reused for this many times the time they took (the UI asks every 2 s): ≤ 1 % of the loop. */
const REUSE_FACTOR = 100;

/** Per capture: its string ids mapped to the tracker's, filled as rows are read. */
interface SegmentIds {
  clients: Int32Array;
  names: Int32Array;
  /** Per name id: 0 not yet known, 1 browsing, 2 not. */
  browsing: Uint8Array;
  /** Per name id: 1 once the router's watched name was mapped to its domain's rule. */
  ruled: Uint8Array;
  /** Per name id: 0 not yet matched, 1 no bypass entry, else the entry's index in `bypassIds` + 2. */
  bypass: Int32Array;
}

/**
 * Reads the capture incrementally (only rows recorded since the last call) and keeps what the correlation,
 * lookup-shape and visibility checks need: the devices' new-domain lookups, the router's lookups per domain,
 * its query times and first blocked answers. Starts over when the router's addresses change or retention
 * deletes a capture. Results are cached by the number of rows seen.
 */
export class InsightsTracker {
  private cursor: StoreCursor | null = null;
  private routerKey = '';
  private routerSet = new Set<string>();
  private tracker = new NewDomainTracker<number>();
  private clients: string[] = [];
  private clientIndex = new Map<string, number>();
  private isRouterClient: boolean[] = [];
  private names = new Map<string, number>();
  private segments = new WeakMap<EventColumns, SegmentIds>();
  /** The devices' new-domain lookups, each tagged with its client's index; all of them (no cap). */
  private newDomains = new TimeSeries(Number.POSITIVE_INFINITY);
  private shape = new LookupShapeAccumulator();
  private domainRule = new Map<string, string>();
  private routerTimes = new Map<string, TimeSeries>();
  /** `${rule} ${client}` → first blocked answer. */
  private firstBlocked = new Map<string, number>();
  /** Lookups of encrypted-DNS resolvers and canaries, per device (any device, not only the router). */
  private bypass = new BypassTracker();
  private readonly bypassIds = [...this.bypass.matcher.entries.keys()];
  private readonly bypassIndex = new Map(this.bypassIds.map((id, i) => [id, i]));
  private unknown = new UnknownNames();
  private rows = 0;
  private catchingUp = false;
  /** Resolves once the rows the last update() stopped at are read back (see StoreCursor.loading). */
  private waiting: Promise<void> | null = null;
  private cache: { config: string; rows: number; at: number; costMs: number; value: Insights } | null = null;

  constructor(
    private readonly source: InsightSource,
    private readonly watch: RuleTimes,
  ) {}

  /** Rows read in all, start-overs included (for tests and the benchmark). */
  get rowsRead(): number {
    return this.rows;
  }

  /**
   * Reads rows recorded since the last call, at most `maxRows`; starts over when the router set changed or
   * captures were deleted. True when every recorded row has been read.
   */
  update(routers: readonly string[], maxRows = Number.POSITIVE_INFINITY): boolean {
    const key = [...routers].sort().join(' ');
    if (key !== this.routerKey) {
      this.reset();
      this.routerKey = key;
      this.routerSet = new Set(routers);
    }
    const before = this.rows;
    let next = this.source.scanSince(this.cursor, this.visit, maxRows);
    if (next === null) {
      this.reset();
      next = this.source.scanSince(null, this.visit, maxRows);
    }
    this.cursor = next;
    // Stopped short at a capture whose rows are being read back: not everything is read yet.
    this.waiting = next?.loading ?? null;
    return this.waiting === null && this.rows - before < maxRows;
  }

  /**
   * Reads the rest of the capture in slices of `sliceRows`, one per turn of the event loop, so a long
   * capture never holds up the forwarder (waiting while a stopped capture's rows are read back); calls `done`
   * once everything is read.
   */
  catchUp(routers: () => readonly string[], sliceRows: number, done: () => void): void {
    if (this.catchingUp) return;
    this.catchingUp = true;
    const step = (): void => {
      let finished = true;
      try {
        finished = this.update(routers(), sliceRows);
      } finally {
        if (finished) {
          this.catchingUp = false;
          this.trim();
          done();
        } else if (this.waiting !== null) void this.waiting.then(() => setImmediate(step));
        else setImmediate(step);
      }
    };
    setImmediate(step);
  }

  /** Correlation per router rule, the router's lookup shape and the visibility checks, cached by rows read. */
  insights(req: InsightsRequest): Insights {
    if (!this.update(req.routers, req.maxRows)) {
      const c = this.cache;
      return c ? { ...c.value, pending: true } : NO_INSIGHTS;
    }
    // The figures' cost decides how long they are reused; reading new rows is paid once and not counted.
    const started = performance.now();
    const windowMs = req.windowMs ?? DEFAULT_WINDOW_MS;
    const blocked = [...req.blockedRules.keys()].sort().join(' ');
    const config = `${this.routerKey}|${windowMs}|${blocked}|${req.shapeLimit ?? 20}`;
    const c = this.cache;
    if (c && c.config === config) {
      // The same rows give the same figures (the silent-router check is looked at again every 10 s)...
      if (c.rows === this.rows && req.now - c.at < 10_000) return c.value;
      // ...and a costly computation is reused a while as rows arrive: the UI asks every 2 s.
      if (req.now - c.at < c.costMs * REUSE_FACTOR) return c.value;
    }
    const value: Insights = {
      correlation: this.correlation(req.routers, windowMs),
      lookupShape: this.lookupShape(req.recordingMs, req.shapeLimit ?? 20),
      visibility: visibilityChecks({
        recordingMs: req.recordingMs,
        routers: req.routers,
        clients: req.clients,
        routerDomains: this.shape.size,
        blocked: this.blockedTraffic(req),
      }).concat(bypassChecks(this.bypass.sightings(), (a) => this.routerSet.has(a))),
      unknownNames: this.unknown.list(UNKNOWN_NAMES_LIMIT),
    };
    this.cache = { config, rows: this.rows, at: req.now, costMs: performance.now() - started, value };
    return value;
  }

  private correlation(routers: readonly string[], windowMs: number): RuleCorrelation[] {
    const present = routers.filter((r) => this.clientIndex.has(r));
    if (present.length === 0) return [];
    const routerIdx = new Set(present.map((r) => this.clientIndex.get(r)!));
    // A router that proxies its devices is the only client: its own other lookups are theirs.
    const viaRouter = this.clients.every((_, i) => routerIdx.has(i));
    const nd = {
      ts: this.newDomains.values(),
      client: this.newDomains.tags(),
      clients: this.clients,
    };
    const out: RuleCorrelation[] = [];
    for (const rule of this.watch.rulesAskedBy(present)) {
      const lookups = this.watch.times(rule, present);
      if (lookups.length === 0) continue;
      const c = correlate(lookups, nd, { windowMs, exclude: viaRouter ? undefined : routerIdx });
      out.push({ ...c, rule, routers: present, viaRouter });
    }
    return out.sort((a, b) => b.lookups - a.lookups);
  }

  private lookupShape(recordingMs: number, limit: number): RouterDomainShape[] {
    return this.shape
      .shapes(recordingMs, limit)
      .map((d) => ({ ...d, rule: this.domainRule.get(d.domain) ?? '' }));
  }

  private blockedTraffic(req: InsightsRequest): BlockedRuleTraffic[] {
    const out: BlockedRuleTraffic[] = [];
    for (const [key, blockedAt] of this.firstBlocked) {
      const space = key.indexOf(' ');
      const rule = key.slice(0, space);
      const address = key.slice(space + 1);
      const service = req.blockedRules.get(rule);
      if (service === undefined) continue;
      const ruleTimes = this.watch.times(rule, [address]);
      const all = this.routerTimes.get(address)?.values() ?? new Float64Array(0);
      const from = Math.max(ruleTimes[0] ?? blockedAt, blockedAt - BEFORE_BLOCK_MS);
      const beforeMs = Math.max(blockedAt - from, 60_000);
      const afterMs = Math.max(0, req.now - blockedAt);
      const ruleBefore = countIn(ruleTimes, from, blockedAt);
      // The first blocked query itself belongs to the time before the router noticed.
      const ruleAfter = Math.max(0, countIn(ruleTimes, blockedAt, req.now + 1) - 1);
      const otherBefore = countIn(all, from, blockedAt) - ruleBefore;
      const otherAfter = countIn(all, blockedAt, req.now + 1) - ruleAfter - 1;
      const perHour = lookupsPerHour;
      out.push({
        rule,
        service,
        address,
        blockedAt,
        beforePerHour: perHour(ruleBefore, beforeMs),
        afterPerHour: perHour(ruleAfter, afterMs),
        afterMs,
        otherBeforePerHour: perHour(otherBefore, beforeMs),
        otherAfterPerHour: perHour(otherAfter, afterMs),
      });
    }
    return out;
  }

  private reset(): void {
    this.cursor = null;
    this.tracker = new NewDomainTracker<number>();
    this.clients = [];
    this.clientIndex = new Map();
    this.isRouterClient = [];
    this.names = new Map();
    this.segments = new WeakMap();
    this.newDomains = new TimeSeries(Number.POSITIVE_INFINITY);
    this.shape = new LookupShapeAccumulator();
    this.domainRule = new Map();
    this.routerTimes = new Map();
    this.firstBlocked = new Map();
    this.bypass = new BypassTracker(this.bypass.matcher);
    this.unknown = new UnknownNames();
    this.cache = null;
  }

  private idsOf(cols: EventColumns): SegmentIds {
    let ids = this.segments.get(cols);
    if (!ids) {
      ids = {
        clients: new Int32Array(0),
        names: new Int32Array(0),
        browsing: new Uint8Array(0),
        ruled: new Uint8Array(0),
        bypass: new Int32Array(0),
      };
      this.segments.set(cols, ids);
    }
    return ids;
  }

  private clientOf(cols: EventColumns, ids: SegmentIds, id: number): number {
    let table = ids.clients;
    if (id >= table.length) {
      const grown = new Int32Array(Math.max(16, cols.clients.size * 2));
      grown.set(table);
      table = grown;
      ids.clients = grown;
    }
    let global = table[id]! - 1;
    if (global < 0) {
      const address = cols.clients.value(id);
      global = this.clientIndex.get(address) ?? -1;
      if (global < 0) {
        global = this.clients.length;
        this.clients.push(address);
        this.clientIndex.set(address, global);
        this.isRouterClient.push(this.routerSet.has(address));
      }
      table[id] = global + 1;
    }
    return global;
  }

  private growNames(cols: EventColumns, ids: SegmentIds, id: number): void {
    const size = Math.max(1024, cols.qnames.size * 2, id + 1);
    const names = new Int32Array(size);
    names.set(ids.names);
    const browsing = new Uint8Array(size);
    browsing.set(ids.browsing);
    const ruled = new Uint8Array(size);
    ruled.set(ids.ruled);
    const bypass = new Int32Array(size);
    bypass.set(ids.bypass);
    ids.names = names;
    ids.browsing = browsing;
    ids.ruled = ruled;
    ids.bypass = bypass;
  }

  /** One recorded event: the hot loop of a full scan, so it works on ids and caches per capture. */
  private readonly visit = (cols: EventColumns, row: number): void => {
    this.rows++;
    const ids = this.idsOf(cols);
    const ts = cols.ts(row);
    const client = this.clientOf(cols, ids, cols.clientId(row));
    const nameId = cols.qnameId(row);
    if (nameId >= ids.names.length) this.growNames(cols, ids, nameId);
    let bypass = ids.bypass[nameId]!;
    if (bypass === 0) {
      const entry = this.bypass.matcher.match(cols.qnames.value(nameId));
      bypass = entry === '' ? 1 : (this.bypassIndex.get(entry) ?? -1) + 2;
      ids.bypass[nameId] = bypass;
    }
    if (bypass > 1)
      this.bypass.addEntry(this.clients[client]!, this.bypassIds[bypass - 2]!, cols.qnames.value(nameId), ts);
    const ruleId = cols.watchRuleId(row);
    const rule = cols.watchRules.value(ruleId);
    const watched = rule !== '';
    if (!watched) {
      let browsing = ids.browsing[nameId]!;
      if (browsing === 0) {
        browsing = isBrowsingName(cols.qnames.value(nameId)) ? 1 : 2;
        ids.browsing[nameId] = browsing;
      }
      if (browsing === 1 && isBrowsingType(cols.qtypes.value(cols.qtypeId(row)))) {
        let name = ids.names[nameId]! - 1;
        if (name < 0) {
          const qname = cols.qnames.value(nameId);
          name = this.names.get(qname) ?? -1;
          if (name < 0) {
            name = this.names.size;
            this.names.set(qname, name);
          }
          ids.names[nameId] = name + 1;
        }
        if (this.tracker.observe(ts, client * NAME_SPACE + name)) this.newDomains.push(ts, client);
      }
    }
    if (!this.isRouterClient[client]) return;
    const qname = cols.qnames.value(nameId);
    this.shape.add(ts, qname, cols.qtypes.value(cols.qtypeId(row)));
    const address = this.clients[client]!;
    let times = this.routerTimes.get(address);
    if (!times) {
      times = new TimeSeries();
      this.routerTimes.set(address, times);
    }
    times.push(ts);
    if (!watched) {
      if (bypass === 1) this.unknown.add(qname, ts);
      return;
    }
    if (ids.ruled[nameId] === 0) {
      ids.ruled[nameId] = 1;
      const domain = registrableDomain(qname);
      if (!this.domainRule.has(domain)) this.domainRule.set(domain, rule);
    }
    if (cols.errors.value(cols.errorId(row)) === 'blocked') {
      const key = `${rule} ${address}`;
      if (!this.firstBlocked.has(key)) this.firstBlocked.set(key, ts);
    }
  };

  /**
   * Gives back the room the growth of the per-lookup series left unused, once a catch-up has read what there
   * was: at 3,000,000 queries of history they held 24 MB (new-domain lookups) and 12 MB (the router's times)
   * with up to half of each unused.
   */
  private trim(): void {
    for (const times of this.routerTimes.values()) times.trim();
    this.newDomains.trim();
  }
}

/** Values of ascending `values` in [from, to). */
function countIn(values: ArrayLike<number>, from: number, to: number): number {
  return lowerBound(values, to) - lowerBound(values, from);
}
