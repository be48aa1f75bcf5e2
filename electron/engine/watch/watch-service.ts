import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import {
  BUILT_IN_READ_ONLY,
  CORRELATION_WINDOW_S,
  isBuiltInRule,
  NO_MARKER_LABEL,
  patternsProblem,
  type RuleInput,
  type WatchMinuteBucket,
} from '@shared/watch/messages';
import { lookupRate, mergeTimes } from '@shared/watch/lookup-rate';
import { compareAroundMarker, describeBeacon, lowerBound } from '@shared/watch/rates';
import {
  MAX_NAMES_PER_DEVICE,
  type DeviceRuleStats,
  type Marker,
  type MarkerEffect,
  type NameRateStats,
  type RuleReport,
  type WatchReport,
} from '@shared/watch/report';
import { BUILT_IN_RULES, type ActiveRule, type BlockMode, type WatchRule } from '@shared/watch/rules';
import { writeFileAtomic } from '../atomic-write';
import { ensureDir } from '../capture/journal';
import type { Verdict } from '../dns/forwarder';
import { classifierFor } from '../dns/verdicts';
import { TimeSeries } from './series';

const FILE = 'watch.json';

/** The user's part of the watchlist, as saved: own rules, changes to built-in ones, and markers. */
interface Saved {
  custom: WatchRule[];
  overrides: Record<string, { enabled?: boolean; block?: BlockMode }>;
  markers: Marker[];
  /** The router model the user picked ("" when none). */
  routerModel: string;
  /** The correlation's look-back window, seconds. */
  correlationWindowS: number;
}

export type { RuleInput };

const MINUTE_MS = 60_000;

export interface WatchServiceOptions {
  readonly dataDir: string;
  readonly onWarning?: (message: string) => void;
}

/**
 * The watchlist at run time: classifies names for the forwarder (cheap, on the hot path), keeps the query
 * times of every (device, rule) pair, and turns them into rates, beacons and before/after comparisons.
 * User rules, switches and markers persist in `${dataDir}/watch.json`.
 */
export class WatchService {
  private readonly file: string;
  private readonly warn: (message: string) => void;
  private saved: Saved;
  private active: ActiveRule[] = [];
  private classifier: (qname: string) => Verdict = classifierFor([]);
  /** rule → client → times, each tagged with the id of its name in `names`. */
  private readonly series = new Map<string, Map<string, TimeSeries>>();
  private readonly nameIds = new Map<string, number>();
  private readonly names: string[] = [];

  private constructor(opts: WatchServiceOptions, saved: Saved) {
    this.file = path.join(opts.dataDir, FILE);
    this.warn = opts.onWarning ?? (() => undefined);
    this.saved = saved;
    this.rebuild();
  }

  /** Loads the saved settings; a corrupt file is moved aside (and reported), never fatal. */
  static async open(opts: WatchServiceOptions): Promise<WatchService> {
    const file = path.join(opts.dataDir, FILE);
    let saved: Saved = {
      custom: [],
      overrides: {},
      markers: [],
      routerModel: '',
      correlationWindowS: CORRELATION_WINDOW_S.default,
    };
    let problem = '';
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Saved>;
      saved = {
        custom: Array.isArray(parsed.custom) ? parsed.custom : [],
        overrides: parsed.overrides && typeof parsed.overrides === 'object' ? parsed.overrides : {},
        markers: Array.isArray(parsed.markers) ? parsed.markers : [],
        routerModel: typeof parsed.routerModel === 'string' ? parsed.routerModel : '',
        correlationWindowS: validWindow(parsed.correlationWindowS),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        problem = `watchlist settings in ${file} could not be read (${(err as Error).message}); starting from the built-in list`;
        await rename(file, `${file}.corrupt-${Date.now()}`).catch(() => undefined);
      }
    }
    const service = new WatchService(opts, saved);
    if (problem) service.warn(problem);
    return service;
  }

  private rebuild(): void {
    const custom = this.saved.custom.map((r) => ({ ...r, confidence: 'user' as const, builtIn: false }));
    this.active = [...BUILT_IN_RULES.map((r) => ({ ...r, builtIn: true })), ...custom].map((r) => {
      const o = this.saved.overrides[r.id] ?? {};
      return { ...r, enabled: o.enabled ?? r.enabled, block: o.block ?? 'off' };
    });
    this.classifier = classifierFor(this.active);
  }

  /** The forwarder's question: which rule does this name match, and is it blocked. Never throws. */
  classify = (qname: string): Verdict => this.classifier(qname);

  /**
   * Notes one recorded query of a watched name (also used to replay retained captures at start); true when
   * it is the first of its (rule, client) pair.
   */
  observe(ts: number, client: string, rule: string, qname: string): boolean {
    if (rule === '') return false;
    let nameId = this.nameIds.get(qname);
    if (nameId === undefined) {
      nameId = this.names.length;
      this.names.push(qname);
      this.nameIds.set(qname, nameId);
    }
    let byClient = this.series.get(rule);
    if (!byClient) {
      byClient = new Map();
      this.series.set(rule, byClient);
    }
    let s = byClient.get(client);
    const first = !s;
    if (!s) {
      s = new TimeSeries();
      byClient.set(client, s);
    }
    s.push(ts, nameId);
    return first;
  }

  /**
   * Gives back the room the series' growth left unused (TimeSeries.trim), once the retained captures are
   * replayed: at 3,000,000 queries of history the router's telemetry times took 12 MB, 40 % of it unused.
   */
  trimTimes(): void {
    for (const byClient of this.series.values()) for (const s of byClient.values()) s.trim();
  }

  /** Forgets every recorded query time (before replaying the captures again in time order). */
  clearTimes(): void {
    this.series.clear();
  }

  /** The rules at least one of `clients` asked for. */
  rulesAskedBy(clients: readonly string[]): string[] {
    const out: string[] = [];
    for (const [rule, byClient] of this.series) if (clients.some((c) => byClient.has(c))) out.push(rule);
    return out;
  }

  /** Query times of `rule` from `clients`, merged and ascending (a copy). */
  times(rule: string, clients: readonly string[]): Float64Array {
    const byClient = this.series.get(rule);
    const parts = clients.flatMap((c) => {
      const s = byClient?.get(c);
      return s ? [s.values()] : [];
    });
    return mergeTimes(parts);
  }

  rules(): ActiveRule[] {
    return this.active;
  }

  rule(id: string): ActiveRule | undefined {
    return this.active.find((r) => r.id === id);
  }

  /** Switches a rule on or off and sets how it is answered. Throws an Error for an unknown id. */
  async update(id: string, change: { enabled?: boolean; block?: BlockMode }): Promise<ActiveRule> {
    if (!this.rule(id)) throw new Error(`no watchlist rule "${id}"`);
    this.saved.overrides[id] = { ...this.saved.overrides[id], ...change };
    return this.persist(id);
  }

  /** Adds or replaces one of the user's own rules. Throws an Error with a readable message for bad input. */
  async upsertCustom(input: RuleInput): Promise<ActiveRule> {
    // The same checks and words as the request schema, so the dashboard and the API say the same.
    const problem = patternsProblem(input.patterns);
    if (problem !== '') throw new Error(problem);
    const patterns = input.patterns.map((p) => p.trim()).filter((p) => p !== '');
    const id = input.id ?? `user-${randomBytes(4).toString('hex')}`;
    if (isBuiltInRule(id)) throw new Error(BUILT_IN_READ_ONLY);
    const rule: WatchRule = {
      id,
      vendor: input.vendor.trim() || 'Custom',
      integration: input.integration.trim(),
      routerBrands: [],
      patterns,
      category: input.category,
      confidence: 'user',
      confidenceNote: 'added by you',
      enabled: true,
      explanation: input.explanation.trim(),
      evidence: '',
      sources: [],
    };
    this.saved.custom = [...this.saved.custom.filter((r) => r.id !== id), rule];
    return this.persist(id);
  }

  async removeCustom(id: string): Promise<void> {
    if (!this.saved.custom.some((r) => r.id === id)) throw new Error(`no rule of yours with id "${id}"`);
    this.saved.custom = this.saved.custom.filter((r) => r.id !== id);
    delete this.saved.overrides[id];
    await this.persist(null);
  }

  markers(): readonly Marker[] {
    return this.saved.markers;
  }

  /** Adds a marker at `ts` (label trimmed, at most 120 characters). */
  async addMarker(label: string, ts: number): Promise<Marker> {
    const text = label.trim();
    if (text === '') throw new Error(NO_MARKER_LABEL);
    const marker: Marker = { id: `m-${randomBytes(4).toString('hex')}`, ts, label: text.slice(0, 120) };
    this.saved.markers = [...this.saved.markers, marker].sort((a, b) => a.ts - b.ts);
    await this.persist(null);
    return marker;
  }

  async removeMarker(id: string): Promise<void> {
    this.saved.markers = this.saved.markers.filter((m) => m.id !== id);
    await this.persist(null);
  }

  /** The correlation's look-back window, seconds. */
  correlationWindowS(): number {
    return this.saved.correlationWindowS;
  }

  /** Saves the correlation window (clamped to the allowed range). Rejects when the file cannot be written. */
  async setCorrelationWindowS(seconds: number): Promise<number> {
    this.saved.correlationWindowS = validWindow(seconds);
    await this.persist(null);
    return this.saved.correlationWindowS;
  }

  /** The router model the user picked ("" when none). */
  routerModel(): string {
    return this.saved.routerModel;
  }

  /** Saves the router model (trimmed; "" forgets it). Rejects when the file cannot be written. */
  async setRouterModel(model: string): Promise<string> {
    this.saved.routerModel = model.trim();
    await this.persist(null);
    return this.saved.routerModel;
  }

  /**
   * Watched queries per minute from `from` (epoch ms) on, per (rule, client), oldest minute first: what the
   * charts draw. Reads the same series the rates come from.
   */
  minuteCounts(from: number): WatchMinuteBucket[] {
    const byMinute = new Map<number, Map<string, { rule: string; client: string; n: number }>>();
    for (const [rule, byClient] of this.series) {
      for (const [client, s] of byClient) {
        const ts = s.values();
        for (let i = lowerBound(ts, from); i < ts.length; i++) {
          const minute = Math.floor(ts[i]! / MINUTE_MS) * MINUTE_MS;
          let bucket = byMinute.get(minute);
          if (!bucket) {
            bucket = new Map();
            byMinute.set(minute, bucket);
          }
          const key = `${rule} ${client}`;
          const entry = bucket.get(key);
          if (entry) entry.n++;
          else bucket.set(key, { rule, client, n: 1 });
        }
      }
    }
    return [...byMinute.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([minute, bucket]) => ({ minute, counts: [...bucket.values()] }));
  }

  private async persist(id: string): Promise<ActiveRule>;
  private async persist(id: null): Promise<void>;
  private async persist(id: string | null): Promise<ActiveRule | void> {
    this.rebuild();
    await ensureDir(path.dirname(this.file));
    await writeFileAtomic(this.file, JSON.stringify(this.saved, null, 2) + '\n');
    if (id !== null) return this.rule(id)!;
  }

  /** Per-name rates of one (device, rule) series: the most queried names, and how many others there are. */
  private nameRates(s: TimeSeries, windowMs: number): { names: NameRateStats[]; otherNames: number } {
    const tags = s.tags();
    const counts = new Map<number, number>();
    for (let i = 0; i < tags.length; i++) counts.set(tags[i]!, (counts.get(tags[i]!) ?? 0) + 1);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, MAX_NAMES_PER_DEVICE);
    const ts = s.values();
    const names = top.map(([id, n]) => {
      const times = new Float64Array(n);
      let k = 0;
      for (let i = 0; i < tags.length; i++) if (tags[i] === id) times[k++] = ts[i]!;
      const rate = lookupRate(times, windowMs);
      return { name: this.names[id] ?? '', queries: rate.count, rate, every: describeBeacon(rate) };
    });
    return { names, otherNames: counts.size - names.length };
  }

  /**
   * Rates per rule and device over `windowMs` of observation (the captures' running time), and the change
   * around each marker. `isRouter` says which addresses are the router; `captureStart` bounds the first
   * marker's "before" window; `recordingEnd` (now while a capture runs, else when the last one stopped) the
   * last marker's "after".
   */
  report(opts: {
    isRouter: (address: string) => boolean;
    windowMs: number;
    captureStart: number;
    recordingEnd: number;
  }): WatchReport {
    const rules: RuleReport[] = [];
    const effects: MarkerEffect[] = [];
    const markers = this.saved.markers;
    for (const [ruleId, byClient] of this.series) {
      const rule = this.rule(ruleId);
      const devices: DeviceRuleStats[] = [];
      let routerQueries = 0;
      for (const [address, s] of byClient) {
        const rate = lookupRate(s.values(), opts.windowMs);
        const isRouter = opts.isRouter(address);
        devices.push({
          address,
          isRouter,
          queries: rate.count,
          rate,
          every: describeBeacon(rate),
          ...this.nameRates(s, opts.windowMs),
        });
        if (isRouter) routerQueries += rate.count;
        markers.forEach((m, i) => {
          // "Before" starts no earlier than the device's first lookup, as its rate does (lookup-rate.ts):
          // a router that started late is not diluted by the time it had not begun.
          const from = Math.max(i > 0 ? markers[i - 1]!.ts : opts.captureStart, s.first());
          const to = i + 1 < markers.length ? markers[i + 1]!.ts : opts.recordingEnd;
          const c = compareAroundMarker(s.values(), m.ts, Math.min(from, m.ts), Math.max(to, m.ts));
          if (c.before.count + c.after.count > 0) effects.push({ marker: m.id, rule: ruleId, address, ...c });
        });
      }
      devices.sort((a, b) => b.queries - a.queries || Number(b.isRouter) - Number(a.isRouter));
      const rate =
        devices.length === 1
          ? devices[0]!.rate
          : lookupRate(mergeTimes([...byClient.values()].map((s) => s.values())), opts.windowMs);
      rules.push({
        rule: ruleId,
        vendor: rule?.vendor ?? '',
        integration: rule?.integration ?? ruleId,
        category: rule?.category ?? 'vendor-cloud',
        confidence: rule?.confidence ?? 'user',
        explanation: rule?.explanation ?? '',
        patterns: rule?.patterns ?? [],
        queries: rate.count,
        routerQueries,
        rate,
        devices,
      });
    }
    rules.sort((a, b) => b.routerQueries - a.routerQueries || b.queries - a.queries);
    return { windowMs: opts.windowMs, rules, markers, effects };
  }
}

/** A saved window within the allowed range; the default for anything else. */
function validWindow(v: unknown): number {
  return typeof v === 'number' && v >= CORRELATION_WINDOW_S.min && v <= CORRELATION_WINDOW_S.max
    ? v
    : CORRELATION_WINDOW_S.default;
}
