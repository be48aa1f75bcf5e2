import type { DeviceInfo, WarningCode } from '@shared/events';
import type { WatchAlert, WatchMinutes, WatchSettings } from '@shared/watch/messages';
import type { Marker, WatchReport } from '@shared/watch/report';
import type { ActiveRule, BlockMode } from '@shared/watch/rules';
import { lookupRate, type LookupRate } from '@shared/watch/lookup-rate';
import { serviceName } from '@shared/watch/service-name';
import type { CaptureStore, ExchangeRecord } from '../capture';
import type { RuleInput, WatchService } from '../watch';
import { InsightsTracker, type Insights } from '../watch/insights';
import type { Clock } from '../clock';
import type { EngineEmitter } from './events';

/** Watchlist reports are pushed at most this often, and only when something changed. */
export const WATCH_REPORT_MS = 2000;
/** Ordinary queries (the devices' browsing) refresh the report's correlation at most this often. */
export const INSIGHTS_DIRTY_MS = 10_000;
/** Rows of the capture the correlation reads per turn of the event loop (a few ms each). */
const INSIGHTS_SLICE_ROWS = 20_000;

export interface WatchlistDeps {
  readonly watch: WatchService;
  /** The recorded queries: the correlation reads them, the report's rates span their captures. */
  readonly store: Pick<CaptureStore, 'captures' | 'clients' | 'lastSeq' | 'scanSince' | 'forEachWatched'>;
  readonly devices: {
    get(address: string): Pick<DeviceInfo, 'isRouter'>;
    routerAddresses(): string[];
  };
  readonly events: EngineEmitter;
  /** Time for the report, markers and the push throttle. */
  readonly clock: Clock;
  warn(code: WarningCode, message: string): void;
}

/**
 * The watchlist around the rules: what recorded queries add to it, the report with its correlation (pushed
 * at most every 2 s), the alert once per (rule, router address), markers and the user's watch settings.
 */
export class WatchlistService {
  private readonly watch: WatchService;
  private readonly insights: InsightsTracker;
  /** (rule, router address) pairs already announced. */
  private readonly alerted = new Set<string>();
  private dirty = false;
  /** When ordinary queries last marked the report stale (they move the correlation and visibility checks). */
  private insightsDirtyAt = 0;
  private timer: unknown = null;

  constructor(private readonly deps: WatchlistDeps) {
    this.watch = deps.watch;
    this.insights = new InsightsTracker(deps.store, deps.watch);
  }

  /** The forwarder's verdict for a name: the rule, and the block the user chose. */
  get classify(): WatchService['classify'] {
    return this.watch.classify;
  }

  /**
   * Adds a recorded exchange while a capture runs: a watched one to the rule's query times (and the alert
   * when the router asked), an ordinary one marks the correlation stale every 10 s. On the DNS hot path.
   */
  record(rec: ExchangeRecord, recording: boolean): void {
    if (!recording) return;
    if (rec.watchRule === '') {
      if (rec.ts - this.insightsDirtyAt >= INSIGHTS_DIRTY_MS) {
        this.insightsDirtyAt = rec.ts;
        this.markDirty();
      }
      return;
    }
    this.watch.observe(rec.ts, rec.client, rec.watchRule, rec.qname);
    this.markDirty();
    const key = `${rec.watchRule} ${rec.client}`;
    if (!this.alerted.has(key) && this.deps.devices.get(rec.client).isRouter) {
      this.alerted.add(key);
      this.alert(rec.watchRule, rec.client, rec.ts);
    }
  }

  /** Pushes a fresh report soon: the recorded queries changed other than by record() (history read). */
  refresh(): void {
    this.markDirty();
  }

  /**
   * Reads the watched queries of every capture again, oldest capture first: after an imported capture was
   * added among them, so rates and beacons cover it without sorting older times into newer ones one by one.
   */
  replay(): void {
    this.watch.clearTimes();
    this.deps.store.forEachWatched((ts, client, rule, qname) => this.watch.observe(ts, client, rule, qname));
    this.watch.trimTimes();
    this.markDirty();
  }

  /** The report, with the correlation over `correlationWindowMs` (default: the user's saved window). */
  report(correlationWindowMs = this.watch.correlationWindowS() * 1000): WatchReport {
    const now = this.deps.clock.now();
    const captures = this.deps.store.captures();
    const windowMs = captures.reduce((sum, c) => sum + Math.max(0, (c.stoppedAt || now) - c.startedAt), 0);
    const report = this.watch.report({
      isRouter: (address) => this.deps.devices.get(address).isRouter,
      windowMs,
      captureStart: captures[0]?.startedAt ?? now,
      recordingEnd: captures.length > 0 ? Math.max(...captures.map((c) => c.stoppedAt || now)) : now,
    });
    return { ...report, ...this.watchInsights(correlationWindowMs, windowMs, now) };
  }

  rules(): readonly ActiveRule[] {
    return this.watch.rules();
  }

  /** The service a rule watches, as alerts name it; the id itself for a rule that is gone. */
  readonly ruleName = (id: string): string => {
    const rule = this.watch.rules().find((r) => r.id === id);
    return rule ? serviceName(rule) : id;
  };

  /** Each router's lookups per rule it asked, with the rate the watchlist panel states for that pair. */
  routerRates(): { rule: string; router: string; rate: LookupRate }[] {
    const routers = this.routerSet();
    return this.watch.rulesAskedBy(routers).flatMap((rule) =>
      routers.flatMap((router) => {
        const times = this.watch.times(rule, [router]);
        return times.length > 0 ? [{ rule, router, rate: lookupRate(times, 0) }] : [];
      }),
    );
  }

  /** Switches a rule on or off, or sets blocking; applies to the next query. */
  async updateRule(id: string, change: { enabled?: boolean; block?: BlockMode }): Promise<ActiveRule> {
    const rule = await this.watch.update(id, change);
    this.markDirty();
    this.rulesChanged();
    return rule;
  }

  async saveRule(input: RuleInput): Promise<ActiveRule> {
    const rule = await this.watch.upsertCustom(input);
    this.rulesChanged();
    return rule;
  }

  async removeRule(id: string): Promise<void> {
    await this.watch.removeCustom(id);
    this.rulesChanged();
  }

  private rulesChanged(): void {
    this.deps.events.emit('rules', this.watch.rules());
  }

  /** Adds a marker ("HomeShield switched off") at `ts`, default now. */
  async addMarker(label: string, ts = this.deps.clock.now()): Promise<Marker> {
    const marker = await this.watch.addMarker(label, ts);
    this.markDirty();
    return marker;
  }

  async removeMarker(id: string): Promise<void> {
    await this.watch.removeMarker(id);
    this.markDirty();
  }

  /** Watched queries per minute and (rule, client) over the last `rangeMinutes` (0: all), with the last seq. */
  minutes(rangeMinutes: number): WatchMinutes {
    // Whole minutes, like the snapshot's buckets: the current one and rangeMinutes − 1 before it.
    const from =
      rangeMinutes > 0 ? (Math.floor(this.deps.clock.now() / 60_000) - rangeMinutes + 1) * 60_000 : 0;
    // Both read synchronously after the same recorded events, so lastSeq matches the counts.
    return { lastSeq: this.deps.store.lastSeq(), minutes: this.watch.minuteCounts(from) };
  }

  routerModel(): string {
    return this.watch.routerModel();
  }

  settings(): WatchSettings {
    return { routerModel: this.watch.routerModel(), correlationWindowS: this.watch.correlationWindowS() };
  }

  /** Saves the user's router model (kept in watch.json); "" forgets it. */
  async setRouterModel(model: string): Promise<WatchSettings> {
    await this.watch.setRouterModel(model);
    return this.settings();
  }

  /** Saves the correlation's look-back window (watch.json) and pushes the report computed with it. */
  async setCorrelationWindow(seconds: number): Promise<WatchSettings> {
    await this.watch.setCorrelationWindowS(seconds);
    this.markDirty();
    return this.settings();
  }

  /** Drops a pending report push. */
  close(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Whether the router's watched lookups follow the devices' new-domain lookups (within `windowMs`), the shape
   * of the router's lookups, and what the capture cannot see. Incremental and cached; never throws.
   */
  private watchInsights(windowMs: number, recordingMs: number, now: number): Insights {
    try {
      const clients = this.deps.store.clients().map((c) => ({
        address: c.address,
        queries: c.queries,
        isRouter: this.deps.devices.get(c.address).isRouter,
      }));
      const routers = this.routerSet(clients);
      const blockedRules = new Map(
        this.watch
          .rules()
          .filter((r) => r.enabled && r.block !== 'off')
          .map((r) => [r.id, serviceName(r)]),
      );
      const insights = this.insights.insights({
        routers,
        clients,
        blockedRules,
        windowMs,
        recordingMs,
        now,
        maxRows: INSIGHTS_SLICE_ROWS,
      });
      if (insights.pending)
        // A long capture (after a start, or a router change) is read in slices between DNS answers; the
        // report is pushed again once it is all read.
        this.insights.catchUp(
          () => this.routerSet(),
          INSIGHTS_SLICE_ROWS,
          () => this.markDirty(),
        );
      return insights;
    } catch (err) {
      this.deps.warn(
        'watchlist',
        `watchlist: correlation failed (${(err as Error).message}); the counts are unaffected`,
      );
      return { correlation: [], lookupShape: [], visibility: [] };
    }
  }

  /** The router's addresses: configured or detected, and any client the registry calls the router. */
  private routerSet(
    clients: readonly { address: string; isRouter: boolean }[] = this.deps.store
      .clients()
      .map((c) => ({ address: c.address, isRouter: this.deps.devices.get(c.address).isRouter })),
  ): string[] {
    return [
      ...new Set([
        ...this.deps.devices.routerAddresses(),
        ...clients.filter((c) => c.isRouter).map((c) => c.address),
      ]),
    ];
  }

  private alert(ruleId: string, address: string, ts: number): void {
    const rule = this.watch.rule(ruleId);
    const alert: WatchAlert = {
      rule: ruleId,
      vendor: rule?.vendor ?? '',
      integration: rule?.integration ?? ruleId,
      category: rule?.category ?? 'vendor-cloud',
      address,
      ts,
      message: `Your router ${address} contacted ${rule?.vendor ? `${rule.vendor} ` : ''}${rule?.integration ?? ruleId}.`,
    };
    this.deps.events.emit('watchAlert', alert);
  }

  /** Pushes the report within 2 s, once for every change in between; nothing while nobody listens. */
  private markDirty(): void {
    this.dirty = true;
    const events = this.deps.events;
    if (this.timer || !events.has('watchReport')) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      if (!this.dirty) return;
      this.dirty = false;
      events.emit('watchReport', this.report());
    }, WATCH_REPORT_MS);
  }
}
