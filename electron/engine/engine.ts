import type {
  ClientListRequest,
  ExportProgress,
  ExportRequest,
  InstallKeyInfo,
  QueryListRequest,
  SnapshotRequest,
} from '@shared/api';
import type {
  AlertSettingsInput,
  AlertsSaveResult,
  AlertTarget,
  AlertTestResult,
  AlertsView,
} from '@shared/alerts';
import type { ConfigSaveResult, ConfigValues, ConfigView } from '@shared/config';
import type {
  CaptureInfo,
  ClientPage,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  ListenerStatus,
  QueryBatch,
  QueryPage,
  Snapshot,
  WarningCode,
} from '@shared/events';
import type { SelfTestResult, SetupProgress, SetupProgressChange, SetupState } from '@shared/setup';
import type { ThemeChoice, ThemeSetting } from '@shared/theme';
import type { WatchAlert, WatchMinutes, WatchSettings } from '@shared/watch/messages';
import type { Marker, WatchReport } from '@shared/watch/report';
import type { ActiveRule, BlockMode } from '@shared/watch/rules';
import { realClock, type Clock } from './clock';
import type { BundleOptions, BundleResult } from './export/exporter';
import type { ZipSink } from './export/zip-writer';
import { loadEngineParts, type EngineParts, type EngineTestHooks } from './load';
import type { EngineOptions } from './options';
import os from 'node:os';
import { serviceName } from '@shared/watch/service-name';
import { AlertsService } from './services/alerts';
import { CaptureService } from './services/capture';
import type { DataFolderLock } from './services/data-folder';
import { DeviceService } from './services/devices';
import { DnstapService } from './services/dnstap';
import { DnstapInService } from './services/dnstap-in';
import { AccessList, DEFAULT_ALLOWED } from './dns/acl';
import { Emitter, type EngineEvents } from './services/events';
import { MetricsService } from './services/metrics';
import { RecordPipeline } from './services/record-pipeline';
import { SettingsService } from './services/settings';
import { SetupService } from './services/setup';
import { Ticker } from './services/ticker';
import type { ImportProgress } from '@shared/import';
import { ImportInbox } from './import/inbox';
import { ImportService, type ImportJob } from './import/service';
import { Warnings } from './services/warnings';
import { WatchlistService } from './services/watchlist';
import type { EngineHandle } from './types';
import { APP_VERSION } from './version';
import type { RuleInput } from './watch';

export type { EngineOptions } from './options';
export { defaultEngineOptions } from './options';
export type { EngineTestHooks } from './load';
export type { WatchAlert } from '@shared/watch/messages';

const STATUS_INTERVAL_MS = 1000;

/**
 * The capture engine: composes the services (settings and the forwarder, capture, devices, watchlist, setup),
 * feeds them every exchange in turn, and adds status and warnings. Plain Node; both the desktop app and `serve`
 * run it.
 */
export class Engine implements EngineHandle {
  private readonly events = new Emitter<EngineEvents>();
  private readonly clock: Clock;
  private readonly warnings: Warnings;
  private readonly devices: DeviceService;
  private readonly watchlist: WatchlistService;
  private readonly capture: CaptureService;
  private readonly setup: SetupService;
  private readonly settings: SettingsService;
  private readonly lock: DataFolderLock;
  /** Status once a second while someone listens, or while the data folder's lock is still to be taken. */
  private readonly statusTicker: Ticker;
  private listening = false;
  private readonly dnstapOut: DnstapService;
  private readonly readHistory: () => Promise<void>;
  private historyRun: Promise<void> | null = null;
  private readonly dnstapIn: DnstapInService;
  private acl: { readonly ranges: readonly string[]; readonly list: AccessList } | null = null;
  private readonly metricsService: MetricsService;
  private readonly alerts: AlertsService;
  /** Picks up captures `npm run import` writes into the data folder while this engine runs. */
  private readonly imports: ImportInbox;
  /** Runs the dashboard's imports in worker threads. */
  private readonly importer: ImportService;

  private constructor(parts: EngineParts, startOptions: EngineOptions) {
    const { options, settings, store, watch } = parts;
    const clock = (this.clock = options.clock ?? realClock);
    this.warnings = new Warnings(this.events, clock);
    const warn = this.warnings.warn;
    const events = this.events;
    const dnstap = (this.dnstapOut = new DnstapService(APP_VERSION, options.clock));
    const devices = new DeviceService(parts.registry, parts.routerSetting, () => this.options.routers);
    const watchlist = new WatchlistService({ watch, store, devices, events, clock, warn });
    const metrics = (this.metricsService = new MetricsService((a) => devices.get(a).isRouter));
    const alerts = (this.alerts = new AlertsService({
      dataDir: options.dataDir,
      events,
      clock,
      source: { version: APP_VERSION, host: os.hostname() },
      rates: () => watchlist.routerRates(),
      ruleName: (id) => {
        const rule = watchlist.rules().find((r) => r.id === id);
        return rule ? serviceName(rule) : id;
      },
      warn: (message) => warn('settings', message),
    }));
    const capture = new CaptureService(store, options.dataDir, {
      status: () => this.status(),
      clock,
      devices,
      watchlist,
    });
    const setup = new SetupService({
      settings,
      devices,
      capture,
      forwarder: () => this.settings.forwarder,
      listen: () => this.options.listen,
    });
    // Every finished exchange goes to the services in turn: setup, devices, capture, watchlist.
    const pipeline = new RecordPipeline(setup, devices, capture, watchlist, dnstap, metrics, alerts);
    // Exchanges other resolvers report over dnstap take the same way.
    this.dnstapIn = new DnstapInService({
      sink: pipeline,
      classify: (qname) => watchlist.classify(qname).rule,
      allows: (address) => this.allowList().allows(address),
      log: (message) => warn('dnstap-in', message),
      clock: options.clock,
    });
    this.settings = new SettingsService(options, {
      startOptions,
      settings,
      sink: pipeline,
      classify: watchlist.classify,
      warn,
      routers: () => devices.routerAddresses(),
      setRetention: (days) => capture.setRetention(days),
      applied: () => this.emitStatus(),
      setDnstap: (targets) => void dnstap.apply(targets),
    });
    this.devices = devices;
    this.watchlist = watchlist;
    this.capture = capture;
    this.setup = setup;
    this.statusTicker = new Ticker(
      clock,
      STATUS_INTERVAL_MS,
      () => this.listening && (this.events.has('status') || this.lock.problem !== ''),
      () => {
        this.lock.retry();
        this.emitStatus();
      },
    );
    this.lock = parts.lock;
    this.readHistory = parts.loadHistory;
    this.imports = new ImportInbox(store, options.dataDir, () => {
      watchlist.replay();
      this.emitStatus();
    });
    this.imports.start();
    this.importer = new ImportService({
      dataDir: () => this.options.dataDir,
      adopt: () => this.imports.check(),
      addRouters: async (addresses) => {
        const saved = devices.savedRouters();
        await devices.setRouters([...saved, ...addresses.filter((a) => !saved.includes(a))]);
      },
      emit: (progress) => events.emit('importProgress', progress),
    });
  }

  /** The options in effect: the command line, then the saved settings, then the defaults. */
  get options(): EngineOptions {
    return this.settings.options;
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
      engine ? engine.warnings.warn(code, message) : early.push([code, message]),
    );
    engine = new Engine(parts, startOptions);
    for (const [code, message] of early) engine.warnings.warn(code, message);
    await engine.alerts.load();
    if (parts.options.autoStartCapture) parts.store.start();
    return engine;
  }

  /**
   * Binds the DNS listeners, then starts reading the earlier captures behind them (whenHistoryLoaded()).
   * Failures are in the result and in status warnings, never thrown.
   */
  async listen(): Promise<ListenerStatus[]> {
    const statuses = await this.settings.listen();
    await this.dnstapIn.start(this.options.dnstapIn ?? []);
    await this.dnstapOut.apply(this.options.dnstapOut);
    this.listening = true;
    this.statusTicker.sync();
    void this.whenHistoryLoaded();
    return statuses;
  }

  /**
   * Resolves once the earlier captures are read (listen() starts that; so does this). Meanwhile status()
   * says how far it got, and the watch report and the dashboard's snapshot grow with each capture read.
   */
  whenHistoryLoaded(): Promise<void> {
    this.historyRun ??= this.readHistory().then(() => {
      // Closed meanwhile: the read stopped short, and nobody is told.
      if (!this.listening) return;
      this.watchlist.refresh();
      this.emitStatus();
    });
    return this.historyRun;
  }

  /** Stops listening, flushes the journal. The running capture is stopped so its end time is recorded. */
  async close(): Promise<void> {
    this.listening = false;
    this.statusTicker.sync();
    this.watchlist.close();
    await this.importer.close();
    await this.imports.close();
    await this.settings.closeForwarder();
    await this.dnstapIn.close();
    await this.alerts.close();
    // After the forwarder and the inputs: the exchanges it finished while closing still reach the readers, then STOP.
    await this.dnstapOut.close();
    await this.capture.close();
    await this.devices.close();
    await this.settings.flush();
    await this.lock.release();
  }

  status(): EngineStatus {
    const forwarder = this.settings.forwarder;
    const dnstapIn = this.dnstapIn.status();
    return {
      version: APP_VERSION,
      capture: this.capture.current(),
      listeners: forwarder.listenerStatus(),
      upstreams: forwarder.upstreamStatus(),
      counters: this.settings.counters(),
      qps: this.capture.qps(),
      warnings: this.warnings.list(),
      storage: this.lock.storage(this.capture.storage()),
      dnstapDropped: this.dnstapOut.dropped(),
      history: this.capture.history(),
      ...(dnstapIn ? { dnstapIn } : {}),
      ...alertsFailing(this.alerts.problems()),
      dataDir: this.options.dataDir,
      now: this.clock.now(),
    };
  }

  /** The DNS allow-list for dnstap peers over TCP, following the ranges in effect. */
  private allowList(): AccessList {
    const ranges = this.options.allow;
    if (this.acl?.ranges !== ranges)
      this.acl = { ranges, list: new AccessList([...DEFAULT_ALLOWED, ...ranges]) };
    return this.acl.list;
  }

  /** `GET /metrics`: the Prometheus exposition text (services/metrics.ts). */
  metrics(): string {
    return this.metricsService.text({
      status: this.status(),
      routerRates: this.watchlist.routerRates(),
      alerts: this.alerts.deliveries(),
    });
  }

  onStatus(listener: (status: EngineStatus) => void): () => void {
    const off = this.events.on('status', listener);
    this.statusTicker.sync();
    return () => {
      off();
      this.statusTicker.sync();
    };
  }

  onWarning(listener: (warning: EngineWarning) => void): () => void {
    return this.events.on('warning', listener);
  }

  // Capture: recording, the snapshot, query pages, live batches and exports.

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
    return this.capture.snapshot(req, this.status(), this.devices.all(), this.devices.routerAddresses());
  }

  readonly clientPage = (req: ClientListRequest): ClientPage =>
    this.capture.clientPage(req, (address) => this.devices.get(address));

  readonly queries = (req: QueryListRequest): QueryPage => this.capture.queries(req);

  readonly captures = (): CaptureInfo[] => this.capture.captures();

  readonly clients = () => this.capture.clients();

  subscribe(listener: (batch: QueryBatch) => void): () => void {
    return this.capture.subscribe(listener);
  }

  readonly csv = (req: ExportRequest): AsyncIterable<string> => this.capture.csv(req);

  readonly pcap = (req: ExportRequest): AsyncIterable<Buffer> => this.capture.pcap(req);

  dnstap(req: ExportRequest): AsyncIterable<Buffer> {
    return this.capture.dnstap(req, this.dnstapOut.identity);
  }

  bundle(
    req: ExportRequest,
    screenshot: Uint8Array | null,
    sink: ZipSink,
    opts?: BundleOptions,
  ): Promise<BundleResult> {
    return this.capture.bundle(req, screenshot, sink, opts);
  }

  readonly installKey = (): Promise<InstallKeyInfo> => this.capture.installKey();

  onExportProgress(listener: (progress: ExportProgress) => void): () => void {
    return this.capture.onExportProgress(listener);
  }

  // Imports the dashboard asks for (a file chosen in the app, an upload to the service).

  startImport(job: ImportJob): void {
    this.importer.start(job);
  }

  cancelImport(id: string): boolean {
    return this.importer.cancel(id);
  }

  onImportProgress(listener: (progress: ImportProgress) => void): () => void {
    return this.events.on('importProgress', listener);
  }

  /** The import service, for the transport that receives uploads (where to stream them, whether one may start). */
  get importUploads(): Pick<ImportService, 'uploadPath' | 'refusal' | 'reserveUpload'> {
    return this.importer;
  }

  // Devices.

  /** What is known about the device at `address` (defaults for one never seen). */
  readonly device = (address: string): DeviceInfo => this.devices.get(address);

  /** The router's addresses: --router, the saved setting, then the detected default gateways. */
  readonly routerAddresses = (): string[] => this.devices.routerAddresses();

  renameDevice(address: string, name: string): Promise<DeviceInfo> {
    return this.devices.rename(address, name);
  }

  setRouters(addresses: readonly string[]): Promise<DeviceInfo[]> {
    return this.devices.setRouters(addresses);
  }

  onDevice(listener: (device: DeviceInfo) => void): () => void {
    return this.devices.onChange(listener);
  }

  // Watchlist: the report, rules, markers and alerts.

  /** The report, with the correlation over `correlationWindowMs` (default: the user's saved window). */
  watchReport(correlationWindowMs?: number): WatchReport {
    return this.watchlist.report(correlationWindowMs);
  }

  readonly watchRules = (): readonly ActiveRule[] => this.watchlist.rules();

  updateWatchRule(id: string, change: { enabled?: boolean; block?: BlockMode }): Promise<ActiveRule> {
    return this.watchlist.updateRule(id, change);
  }

  readonly saveWatchRule = (input: RuleInput): Promise<ActiveRule> => this.watchlist.saveRule(input);

  readonly removeWatchRule = (id: string): Promise<void> => this.watchlist.removeRule(id);

  readonly addMarker = (label: string, ts?: number): Promise<Marker> => this.watchlist.addMarker(label, ts);

  readonly removeMarker = (id: string): Promise<void> => this.watchlist.removeMarker(id);

  readonly watchMinutes = (rangeMinutes: number): WatchMinutes => this.watchlist.minutes(rangeMinutes);

  readonly watchSettings = (): WatchSettings => this.watchlist.settings();

  readonly setRouterModel = (model: string): Promise<WatchSettings> => this.watchlist.setRouterModel(model);

  setCorrelationWindow(seconds: number): Promise<WatchSettings> {
    return this.watchlist.setCorrelationWindow(seconds);
  }

  onWatchReport(listener: (report: WatchReport) => void): () => void {
    return this.events.on('watchReport', listener);
  }

  onWatchAlert(listener: (alert: WatchAlert) => void): () => void {
    return this.events.on('watchAlert', listener);
  }

  // Settings.

  readonly configView = (): ConfigView => this.settings.view();

  /**
   * Validates and saves the settings, and applies what can be applied now (listen addresses, upstreams and
   * ranges restart the forwarder; the capture goes on). Invalid values come back per field; nothing is saved.
   */
  readonly saveConfig = (values: ConfigValues): Promise<ConfigSaveResult> => this.settings.save(values);

  readonly theme = (): ThemeSetting => this.settings.theme();

  async setTheme(theme: ThemeChoice): Promise<ThemeSetting> {
    const saved = await this.settings.setTheme(theme);
    this.events.emit('theme', saved);
    return saved;
  }

  onTheme(listener: (setting: ThemeSetting) => void): () => void {
    return this.events.on('theme', listener);
  }

  // Alerts.

  readonly alertsView = (): AlertsView => this.alerts.view();

  readonly saveAlerts = (input: AlertSettingsInput): Promise<AlertsSaveResult> => this.alerts.save(input);

  readonly testAlert = (target: AlertTarget): Promise<AlertTestResult> => this.alerts.test(target);

  // Setup assistant.

  setupState(since: number, withSurvey = true): Promise<SetupState> {
    return this.setup.state(since, withSurvey);
  }

  readonly selfTest = (): Promise<SelfTestResult[]> => this.setup.selfTest();

  saveSetupProgress(change: SetupProgressChange): Promise<SetupProgress> {
    return this.setup.saveProgress(change);
  }

  readonly restoreGuidance = (): string => this.setup.restoreGuidance();

  private emitStatus(): void {
    if (this.events.has('status')) this.events.emit('status', this.status());
  }
}

/** The status field, only when a target fails (absent otherwise, like dnstapDropped without outputs). */
function alertsFailing(problems: { target: string; error: string }[]) {
  return problems.length > 0 ? { alertsFailing: problems } : {};
}
