import type { ExportProgress, ExportRequest, QueryListRequest, SnapshotRequest } from '@shared/api';
import type {
  CaptureInfo,
  DeviceInfo,
  EngineCounters,
  EngineStatus,
  EngineWarning,
  ListenerStatus,
  QueryBatch,
  QueryPage,
  Snapshot,
  WarningCode,
} from '@shared/events';
import type { ExchangeRecord } from './capture';
import { AccessList, DEFAULT_ALLOWED } from './dns/acl';
import { Forwarder } from './dns/forwarder';
import { NetworkUpstream } from './dns/upstream';
import type { BundleResult } from './export/exporter';
import type { ZipSink } from './export/zip-writer';
import { loadEngineParts, type EngineParts, type EngineTestHooks } from './load';
import type { EngineOptions } from './options';
import { ConfigService } from './settings/config-service';
import type { SettingsStore } from './settings/settings-store';
import { Emitter, type EngineEmitter, type EngineEvents } from './services/events';
import { SetupService } from './services/setup';
import { Warnings } from './services/warnings';
import { WatchlistService } from './services/watchlist';
import { CaptureService } from './services/capture';
import { DeviceService } from './services/devices';
import type { EngineHandle } from './types';
import type { RuleInput } from './watch';
import type { WatchAlert, WatchMinutes, WatchSettings } from '@shared/watch/messages';
import type { Marker, WatchReport } from '@shared/watch/report';
import type { ActiveRule, BlockMode } from '@shared/watch/rules';
import type { ConfigSaveResult, ConfigValues, ConfigView } from '@shared/config';
import type { SelfTestResult, SetupProgress, SetupProgressChange, SetupState } from '@shared/setup';

export type { EngineOptions } from './options';
export { defaultEngineOptions } from './options';
export type { EngineTestHooks } from './load';

declare const __APP_VERSION__: string | undefined;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

const STATUS_INTERVAL_MS = 1000;

export type { WatchAlert } from '@shared/watch/messages';

/** The capture engine: forwarder + capture store + status. Plain Node; both the desktop app and `serve` run it. */
export class Engine implements EngineHandle {
  private opts: EngineOptions;
  private readonly capture: CaptureService;
  private readonly devices: DeviceService;
  private readonly watchlist: WatchlistService;
  private readonly events: EngineEmitter = new Emitter<EngineEvents>();
  private readonly warnings = new Warnings(this.events);
  private forwarder: Forwarder;
  /** Counters of forwarders replaced by a settings change, so the totals keep counting. */
  private retired: EngineCounters | null = null;
  private readonly settings: SettingsStore;
  private readonly config: ConfigService;
  private readonly setup: SetupService;
  private statusTimer: NodeJS.Timeout | null = null;

  private readonly unlock: () => Promise<void>;
  /** listen() was called: a forwarder restart must bind the new one too. */
  private listening = false;

  private constructor(parts: EngineParts, startOptions: EngineOptions) {
    const { options, settings, store, watch } = parts;
    const devices = new DeviceService(parts.registry, parts.routerSetting, () => this.opts.routers);
    const unlock = parts.unlock;
    this.opts = options;
    this.settings = settings;
    this.devices = devices;
    this.watchlist = new WatchlistService({
      watch,
      store,
      devices,
      events: this.events,
      warn: (code, message) => this.warn(code, message),
    });
    this.unlock = unlock;
    this.forwarder = this.makeForwarder(options);
    this.capture = new CaptureService(store, options.dataDir, {
      status: () => this.status(),
      devices,
      watchlist: this.watchlist,
    });
    this.setup = new SetupService({
      settings,
      devices,
      capture: this.capture,
      forwarder: () => this.forwarder,
      listen: () => this.opts.listen,
    });
    this.config = new ConfigService({
      startOptions,
      settings,
      current: () => this.opts,
      routers: () => this.devices.routerAddresses(),
      apply: (next, fields) => this.applyOptions(next, fields),
    });
  }

  /** The options in effect: the command line, then the saved settings, then the defaults. */
  get options(): EngineOptions {
    return this.opts;
  }

  private makeForwarder(options: EngineOptions): Forwarder {
    return new Forwarder({
      listen: options.listen,
      upstreams: options.upstreams.map((u) => new NetworkUpstream(u)),
      acl: new AccessList([...DEFAULT_ALLOWED, ...options.allow]),
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      sink: { record: (rec) => this.record(rec) },
      classify: this.watchlist.classify,
      onWarning: (code, message) => this.warn(code, message),
    });
  }

  /**
   * Locks the data dir, loads earlier captures, device names and the saved router. Throws an Error with a
   * readable message for a bad option (an --allow range, a --router that is not an address), a data folder
   * that cannot be used, or one another engine holds.
   */
  static async open(startOptions: EngineOptions, hooks: EngineTestHooks = {}): Promise<Engine> {
    let engine: Engine | null = null;
    // What loading finds (a torn journal line, a corrupt line) is reported once the engine exists.
    const early: [WarningCode, string][] = [];
    const parts = await loadEngineParts(startOptions, hooks, (code, message) =>
      engine ? engine.warn(code, message) : early.push([code, message]),
    );
    engine = new Engine(parts, startOptions);
    for (const [code, message] of early) engine.warn(code, message);
    if (parts.options.autoStartCapture) parts.store.start();
    return engine;
  }

  /** Binds the DNS listeners. Failures are in the result and in status warnings, never thrown. */
  async listen(): Promise<ListenerStatus[]> {
    const statuses = await this.forwarder.listen();
    this.listening = true;
    this.statusTimer ??= setInterval(() => this.emitStatus(), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    return statuses;
  }

  startCapture(): CaptureInfo {
    const info = this.capture.start();
    this.emitStatus();
    return info;
  }

  async stopCapture(): Promise<CaptureInfo | null> {
    const info = await this.capture.stop();
    this.emitStatus();
    return info;
  }

  snapshot(req: SnapshotRequest): Snapshot {
    return this.capture.snapshot(req, this.status(), this.devices.all());
  }

  queries(req: QueryListRequest): QueryPage {
    return this.capture.queries(req);
  }

  captures(): CaptureInfo[] {
    return this.capture.captures();
  }

  clients() {
    return this.capture.clients();
  }

  subscribe(listener: (batch: QueryBatch) => void): () => void {
    return this.capture.subscribe(listener);
  }

  csv(req: ExportRequest): AsyncIterable<string> {
    return this.capture.csv(req);
  }

  pcap(req: ExportRequest): AsyncIterable<Buffer> {
    return this.capture.pcap(req);
  }

  bundle(req: ExportRequest, screenshot: Uint8Array | null, sink: ZipSink): Promise<BundleResult> {
    return this.capture.bundle(req, screenshot, sink);
  }

  onExportProgress(listener: (progress: ExportProgress) => void): () => void {
    return this.capture.onExportProgress(listener);
  }

  /** What is known about the device at `address` (defaults for one never seen). */
  device(address: string): DeviceInfo {
    return this.devices.get(address);
  }

  /** The router's addresses: --router, the saved setting, then the detected default gateways. */
  routerAddresses(): string[] {
    return this.devices.routerAddresses();
  }

  renameDevice(address: string, name: string): Promise<DeviceInfo> {
    return this.devices.rename(address, name);
  }

  setRouters(addresses: readonly string[]): Promise<DeviceInfo[]> {
    return this.devices.setRouters(addresses);
  }

  /** The report, with the correlation over `correlationWindowMs` (default: the user's saved window). */
  watchReport(correlationWindowMs?: number): WatchReport {
    return this.watchlist.report(correlationWindowMs);
  }

  watchRules(): readonly ActiveRule[] {
    return this.watchlist.rules();
  }

  updateWatchRule(id: string, change: { enabled?: boolean; block?: BlockMode }): Promise<ActiveRule> {
    return this.watchlist.updateRule(id, change);
  }

  saveWatchRule(input: RuleInput): Promise<ActiveRule> {
    return this.watchlist.saveRule(input);
  }

  removeWatchRule(id: string): Promise<void> {
    return this.watchlist.removeRule(id);
  }

  addMarker(label: string, ts?: number): Promise<Marker> {
    return this.watchlist.addMarker(label, ts);
  }

  removeMarker(id: string): Promise<void> {
    return this.watchlist.removeMarker(id);
  }

  watchMinutes(rangeMinutes: number): WatchMinutes {
    return this.watchlist.minutes(rangeMinutes);
  }

  watchSettings(): WatchSettings {
    return this.watchlist.settings();
  }

  setRouterModel(model: string): Promise<WatchSettings> {
    return this.watchlist.setRouterModel(model);
  }

  setCorrelationWindow(seconds: number): Promise<WatchSettings> {
    return this.watchlist.setCorrelationWindow(seconds);
  }

  onWatchReport(listener: (report: WatchReport) => void): () => void {
    return this.events.on('watchReport', listener);
  }

  onWatchAlert(listener: (alert: WatchAlert) => void): () => void {
    return this.events.on('watchAlert', listener);
  }

  onDevice(listener: (device: DeviceInfo) => void): () => void {
    return this.devices.onChange(listener);
  }

  /** The Settings panel's view: saved values, what runs now, which fields the command line set. */
  configView(): ConfigView {
    return this.config.view();
  }

  /**
   * Validates and saves the settings, and applies what can be applied now (listen addresses, upstreams and
   * ranges restart the forwarder; the capture goes on). Invalid values come back per field; nothing is saved.
   */
  saveConfig(values: ConfigValues): Promise<ConfigSaveResult> {
    return this.config.save(values);
  }

  setupState(since: number, withSurvey = true): Promise<SetupState> {
    return this.setup.state(since, withSurvey);
  }

  selfTest(): Promise<SelfTestResult[]> {
    return this.setup.selfTest();
  }

  saveSetupProgress(change: SetupProgressChange): Promise<SetupProgress> {
    return this.setup.saveProgress(change);
  }

  restoreGuidance(): string {
    return this.setup.restoreGuidance();
  }

  status(): EngineStatus {
    return {
      version: VERSION,
      capture: this.capture.current(),
      listeners: this.forwarder.listenerStatus(),
      upstreams: this.forwarder.upstreamStatus(),
      counters: this.counters(),
      qps: this.capture.qps(),
      warnings: this.warnings.list(),
      dataDir: this.options.dataDir,
      now: Date.now(),
    };
  }

  onStatus(listener: (status: EngineStatus) => void): () => void {
    return this.events.on('status', listener);
  }

  onWarning(listener: (warning: EngineWarning) => void): () => void {
    return this.events.on('warning', listener);
  }

  /** Stops listening, flushes the journal. The running capture is stopped so its end time is recorded. */
  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
    this.watchlist.close();
    await this.config.idle();
    await this.forwarder.close();
    await this.capture.close();
    await this.devices.close();
    await this.settings.flush();
    await this.unlock();
  }

  private counters(): EngineCounters {
    const now = this.forwarder.counters();
    const r = this.retired;
    if (!r) return now;
    return {
      queries: now.queries + r.queries,
      answered: now.answered + r.answered,
      servfail: now.servfail + r.servfail,
      refused: now.refused + r.refused,
      malformed: now.malformed + r.malformed,
      unexpectedResponses: now.unexpectedResponses + r.unexpectedResponses,
      overload: now.overload + r.overload,
      loops: now.loops + r.loops,
      inFlight: now.inFlight,
    };
  }

  /**
   * Puts new options into effect. Listen addresses, upstreams and ranges replace the forwarder: the old one stops
   * listening and finishes what it forwards (recorded as usual), the new one binds. When the new one binds
   * nothing although the old one did, the old options come back and the result says why.
   */
  private async applyOptions(
    next: EngineOptions,
    fields: ReadonlySet<'forwarder' | 'retention'>,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    const previous = this.opts;
    const keepRetention = () => {
      if (fields.has('retention')) this.capture.setRetention(next.retentionDays);
    };
    this.opts = next;
    if (!fields.has('forwarder')) {
      keepRetention();
      return { ok: true };
    }
    const old = this.forwarder;
    const hadListeners = old.listenerStatus().some((l) => l.state === 'listening');
    const replace = async (options: EngineOptions) => {
      const prev = this.counters();
      await this.forwarder.close(options.timeoutMs * Math.max(1, this.forwarder.upstreamStatus().length));
      this.retired = { ...prev, inFlight: 0 };
      this.forwarder = this.makeForwarder(options);
      return this.listening ? this.forwarder.listen() : [];
    };
    const statuses = await replace(next);
    if (!this.listening || statuses.some((s) => s.state === 'listening') || !hadListeners) {
      keepRetention();
      this.emitStatus();
      return { ok: true };
    }
    const why = statuses.find((s) => s.state === 'error')?.error ?? 'no listener could be started';
    // Nothing of this save takes effect: the previous options come back whole.
    this.opts = previous;
    await replace(previous);
    this.emitStatus();
    return { ok: false, error: `${why} (kept the previous addresses)` };
  }

  /**
   * The forwarder's sink: records the exchange and notes its client as a device. Our own reverse lookup, sent
   * back to us by a router that uses this computer as its resolver, was answered but is not the router's.
   */
  private record(rec: ExchangeRecord): void {
    if (this.setup.claim(rec)) return;
    if (this.devices.isOwnLookup(rec)) return;
    this.capture.record(rec);
    this.devices.observe(rec);
    this.watchlist.record(rec, this.capture.isRecording);
  }

  private warn(code: WarningCode, message: string): void {
    this.warnings.warn(code, message);
  }

  private emitStatus(): void {
    if (this.events.has('status')) this.events.emit('status', this.status());
  }
}
