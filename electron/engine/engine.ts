import type { ExportRequest } from '@shared/api';
import type { CaptureInfo, DeviceInfo, ListenerStatus, WarningCode } from '@shared/events';
import type { WatchReport } from '@shared/watch/report';
import { realClock, type Clock } from './clock';
import type { BundleResult } from './export/exporter';
import { loadEngineParts, type EngineParts, type EngineTestHooks } from './load';
import type { EngineOptions } from './options';
import os from 'node:os';
import { AlertsService } from './services/alerts';
import { CaptureService } from './services/capture';
import { DeviceService } from './services/devices';
import { DnstapService } from './services/dnstap';
import { DnstapInService } from './services/dnstap-in';
import { allowsFollowing } from './dns/acl';
import { Emitter, type EngineEvents } from './services/events';
import { MetricsService } from './services/metrics';
import { RecordPipeline } from './services/record-pipeline';
import { SettingsService } from './services/settings';
import { SetupService } from './services/setup';
import { StatusService } from './services/status';
import { ImportsService } from './services/imports';
import { WatchlistService } from './services/watchlist';
import type { EngineHandle } from './types';
import { APP_VERSION } from './version';

export type { EngineOptions } from './options';
export { defaultEngineOptions } from './options';
export type { EngineTestHooks } from './load';
export type { WatchAlert } from '@shared/watch/messages';

type H = EngineHandle;

/**
 * The capture engine: composes the services (settings and the forwarder, capture, devices, watchlist, setup),
 * feeds them every exchange in turn, and adds status and warnings. Plain Node; both the desktop app and `serve`
 * run it.
 */
export class Engine implements EngineHandle {
  private readonly events = new Emitter<EngineEvents>();
  private readonly statusService: StatusService;
  private readonly devices: DeviceService;
  private readonly watchlist: WatchlistService;
  private readonly capture: CaptureService;
  private readonly setup: SetupService;
  private readonly settings: SettingsService;
  private readonly dnstapOut: DnstapService;
  private readonly readHistory: () => Promise<void>;
  private readonly dnstapIn: DnstapInService;
  private readonly metricsService: MetricsService;
  private readonly alerts: AlertsService;
  private readonly imports: ImportsService;

  private constructor(parts: EngineParts, startOptions: EngineOptions) {
    const { options, settings, store, watch } = parts;
    const clock: Clock = options.clock ?? realClock;
    const events = this.events;
    const status = (this.statusService = new StatusService(events, clock, parts.lock));
    const warn = status.warnings.warn;
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
      ruleName: watchlist.ruleName,
      warn: (message) => warn('settings', message),
    }));
    const capture = new CaptureService(store, options.dataDir, {
      status: () => status.status(),
      clock,
      devices,
      watchlist,
      devicesReady: () => this.whenHistoryLoaded().then(() => devices.importsLearned()),
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
    // Exchanges other resolvers report over dnstap take the same way (settings.observed).
    this.dnstapIn = new DnstapInService({
      sink: { record: (rec) => this.settings.observed.record(rec) },
      classify: (qname) => watchlist.classify(qname).rule,
      allows: allowsFollowing(() => this.options.allow),
      log: (message) => warn('dnstap-in', message),
      clock: options.clock,
    });
    this.settings = new SettingsService(options, {
      startOptions,
      settings,
      sink: pipeline,
      classify: watchlist.classify,
      rules: () => watchlist.rules(),
      warn,
      routers: () => devices.routerAddresses(),
      setRetention: (days) => capture.setRetention(days),
      applied: status.emit,
      setDnstap: (targets) => void dnstap.apply(targets),
    });
    events.on('rules', (rules) => this.settings.rulesChanged(rules));
    // The DNS thread numbers, journals and seals the running capture's records; the store indexes them. Our
    // own reverse lookups echoed by the router are not journaled there, as they are not recorded here.
    const thread = this.settings.threadJournal;
    if (thread) {
      store.useJournalHost(thread);
      parts.registry.onOwnLookup((name, phase, at) =>
        thread.ownLookup(name, phase, at, parts.registry.addressesOfRouter()),
      );
    }
    this.devices = devices;
    this.watchlist = watchlist;
    this.capture = capture;
    this.setup = setup;
    status.connect({ capture, settings: this.settings, dnstapIn: this.dnstapIn, dnstapOut: dnstap, alerts });
    this.readHistory = parts.loadHistory;
    this.imports = new ImportsService({
      store,
      dataDir: options.dataDir,
      currentDataDir: () => this.options.dataDir,
      devices,
      events,
      adopted: () => this.capturesAdded(() => watchlist.replay()),
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
      engine ? engine.warn(code, message) : early.push([code, message]),
    );
    engine = new Engine(parts, startOptions);
    for (const [code, message] of early) engine.warn(code, message);
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
    this.statusService.listening = true;
    void this.whenHistoryLoaded();
    return statuses;
  }

  /**
   * Resolves once the earlier captures are read (listen() starts that; so does this). Meanwhile status()
   * says how far it got, and the watch report and the dashboard's snapshot grow with each capture read.
   */
  whenHistoryLoaded(): Promise<void> {
    return this.capture.readHistory(this.readHistory, () => {
      // Closed meanwhile: the read stopped short, and nobody is told.
      if (!this.statusService.listening) return;
      this.imports.historyRead();
      this.capturesAdded(() => this.watchlist.refresh());
    });
  }

  /** Captures were read or imported: the watchlist takes them in, and so do the devices (imports' MACs, names). */
  private capturesAdded(watch: () => void): void {
    watch();
    this.devices.learnImports(this.capture.captures());
    this.statusService.emit();
  }

  /** Stops listening, flushes the journal. The running capture is stopped so its end time is recorded. */
  async close(): Promise<void> {
    this.statusService.listening = false;
    this.watchlist.close();
    await this.imports.close();
    await this.settings.closeForwarder();
    await this.dnstapIn.close();
    await this.alerts.close();
    // After the forwarder and the inputs: the exchanges it finished while closing still reach the readers, then STOP.
    await this.dnstapOut.close();
    await this.capture.close();
    await this.devices.close();
    await this.settings.flush();
    await this.statusService.releaseLock();
  }

  readonly status: H['status'] = () => this.statusService.status();

  /** `GET /metrics`: the Prometheus exposition text (services/metrics.ts). */
  metrics(): string {
    return this.metricsService.text({
      status: this.status(),
      routerRates: this.watchlist.routerRates(),
      alerts: this.alerts.deliveries(),
    });
  }

  readonly onStatus: H['onStatus'] = (listener) => this.statusService.onStatus(listener);
  readonly onWarning: H['onWarning'] = (listener) => this.events.on('warning', listener);

  // Capture: recording, the snapshot, query pages, live batches and exports.

  startCapture(): CaptureInfo {
    const info = this.capture.start();
    this.statusService.emit();
    return info;
  }

  async stopCapture(): Promise<CaptureInfo | null> {
    const info = await this.capture.stop();
    this.statusService.emit();
    return info;
  }

  readonly snapshot: H['snapshot'] = (req) =>
    this.capture.snapshot(req, this.status(), this.devices.all(), this.devices.routerAddresses());

  readonly clientPage: H['clientPage'] = (req) => this.capture.clientPage(req, this.device);
  readonly queries: H['queries'] = (req) => this.capture.queries(req);
  readonly captures = (): CaptureInfo[] => this.capture.captures();
  readonly clients = () => this.capture.clients();
  readonly subscribe: H['subscribe'] = (listener) => this.capture.subscribe(listener);
  readonly csv: H['csv'] = (req) => this.capture.csv(req);
  readonly pcap = (req: ExportRequest): AsyncIterable<Buffer> => this.capture.pcap(req);

  readonly dnstap = (req: ExportRequest): AsyncIterable<Buffer> =>
    this.capture.dnstap(req, this.dnstapOut.identity);

  readonly bundle = (...args: Parameters<CaptureService['bundle']>): Promise<BundleResult> =>
    this.capture.bundle(...args);

  readonly installKey: H['installKey'] = () => this.capture.installKey();
  readonly onExportProgress: H['onExportProgress'] = (listener) => this.capture.onExportProgress(listener);

  // Imports the dashboard asks for (a file chosen in the app, an upload to the service).

  readonly startImport: H['startImport'] = (job) => this.imports.start(job);
  readonly cancelImport: H['cancelImport'] = (id) => this.imports.cancel(id);
  readonly onImportProgress: H['onImportProgress'] = (listener) => this.imports.onProgress(listener);

  /** For the transport that receives uploads (where to stream them, whether one may start). */
  get importUploads(): ImportsService['uploads'] {
    return this.imports.uploads;
  }

  // Devices.

  /** What is known about the device at `address` (defaults for one never seen). */
  readonly device = (address: string): DeviceInfo => this.devices.get(address);

  /** The router's addresses: --router, the saved setting, then the detected default gateways. */
  readonly routerAddresses = (): string[] => this.devices.routerAddresses();

  readonly renameDevice: H['renameDevice'] = (address, name) => this.devices.rename(address, name);
  readonly setRouters: H['setRouters'] = (addresses) => this.devices.setRouters(addresses);
  readonly onDevice: H['onDevice'] = (listener) => this.devices.onChange(listener);

  // Watchlist: the report, rules, markers and alerts.

  /** The report, with the correlation over `correlationWindowMs` (default: the user's saved window). */
  watchReport(correlationWindowMs?: number): WatchReport {
    return this.watchlist.report(correlationWindowMs);
  }

  readonly watchRules: H['watchRules'] = () => this.watchlist.rules();
  readonly updateWatchRule: H['updateWatchRule'] = (id, change) => this.watchlist.updateRule(id, change);
  readonly saveWatchRule: H['saveWatchRule'] = (input) => this.watchlist.saveRule(input);
  readonly removeWatchRule: H['removeWatchRule'] = (id) => this.watchlist.removeRule(id);
  readonly addMarker: H['addMarker'] = (label, ts) => this.watchlist.addMarker(label, ts);
  readonly removeMarker: H['removeMarker'] = (id) => this.watchlist.removeMarker(id);
  readonly watchMinutes: H['watchMinutes'] = (rangeMinutes) => this.watchlist.minutes(rangeMinutes);
  readonly watchSettings: H['watchSettings'] = () => this.watchlist.settings();
  readonly setRouterModel: H['setRouterModel'] = (model) => this.watchlist.setRouterModel(model);
  readonly setCorrelationWindow: H['setCorrelationWindow'] = (s) => this.watchlist.setCorrelationWindow(s);
  readonly onWatchReport: H['onWatchReport'] = (listener) => this.events.on('watchReport', listener);
  readonly onWatchAlert: H['onWatchAlert'] = (listener) => this.events.on('watchAlert', listener);

  // Settings.

  readonly configView: H['configView'] = () => this.settings.view();

  /**
   * Validates and saves the settings, and applies what can be applied now (listen addresses, upstreams and
   * ranges restart the forwarder; the capture goes on). Invalid values come back per field; nothing is saved.
   */
  readonly saveConfig: H['saveConfig'] = (values) => this.settings.save(values);

  readonly theme: H['theme'] = () => this.settings.theme();

  readonly setTheme: H['setTheme'] = async (theme) => {
    const saved = await this.settings.setTheme(theme);
    this.events.emit('theme', saved);
    return saved;
  };

  readonly onTheme: H['onTheme'] = (listener) => this.events.on('theme', listener);

  // Alerts.

  readonly alertsView: H['alertsView'] = () => this.alerts.view();
  readonly saveAlerts: H['saveAlerts'] = (input) => this.alerts.save(input);
  readonly testAlert: H['testAlert'] = (target) => this.alerts.test(target);

  // Setup assistant.

  readonly setupState: H['setupState'] = (since, withSurvey = true) => this.setup.state(since, withSurvey);
  readonly selfTest: H['selfTest'] = () => this.setup.selfTest();
  readonly saveSetupProgress: H['saveSetupProgress'] = (change) => this.setup.saveProgress(change);
  readonly restoreGuidance: H['restoreGuidance'] = () => this.setup.restoreGuidance();

  /** Tests only: makes the DNS thread die (an uncaught exception or an exit); nothing without one. */
  readonly crashDnsThread = (how: 'throw' | 'exit'): Promise<void> => this.settings.crashDnsThread(how);

  private readonly warn = (code: WarningCode, message: string): void =>
    this.statusService.warnings.warn(code, message);
}
