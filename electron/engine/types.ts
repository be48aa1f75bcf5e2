import type {
  ClientListRequest,
  ExportProgress,
  ExportRequest,
  InstallKeyInfo,
  QueryListRequest,
  SnapshotRequest,
} from '@shared/api';
import type {
  CaptureInfo,
  ClientPage,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryPage,
  Snapshot,
} from '@shared/events';
import type { RuleChange, RuleInput, WatchAlert, WatchMinutes, WatchSettings } from '@shared/watch/messages';
import type {
  AlertSettingsInput,
  AlertsSaveResult,
  AlertTarget,
  AlertTestResult,
  AlertsView,
} from '@shared/alerts';
import type { ConfigSaveResult, ConfigValues, ConfigView } from '@shared/config';
import type { SelfTestResult, SetupProgress, SetupProgressChange, SetupState } from '@shared/setup';
import type { ThemeChoice, ThemeSetting } from '@shared/theme';
import type { Marker, WatchReport } from '@shared/watch/report';
import type { ActiveRule } from '@shared/watch/rules';
import type { BundleOptions, BundleResult } from './export/exporter';
import type { ZipSink } from './export/zip-writer';
import type { ImportJob } from './import/service';
import type { ImportProgress } from '@shared/import';

/** What both transports (Electron IPC, headless HTTP/WebSocket) need from the running engine. */
export interface EngineHandle {
  /** Starts recording (the forwarder answers whether or not a capture runs); returns the running capture. */
  startCapture(): CaptureInfo;
  /** Stops recording; resolves once the journal is flushed. Null when nothing was running. */
  stopCapture(): Promise<CaptureInfo | null>;
  snapshot(req: SnapshotRequest): Snapshot;
  /** A page of the clients, most queries first, with their device details. */
  clientPage(req: ClientListRequest): ClientPage;
  /** Newest first, filtered and paged; resolves once the rows it reaches are read (see CaptureStore.query). */
  queries(req: QueryListRequest): Promise<QueryPage>;
  status(): EngineStatus;
  /** The filtered queries as CSV text in chunks, header first, oldest query first. */
  csv(filter: ExportRequest): AsyncIterable<string>;
  /** The filtered DNS exchanges as a pcap file in chunks (real payloads, synthetic IP/UDP/TCP headers). */
  pcap(filter: ExportRequest): AsyncIterable<Uint8Array>;
  /**
   * The filtered exchanges as a dnstap file in chunks (Frame Streams, START … STOP): CLIENT_QUERY and
   * CLIENT_RESPONSE with the bytes the journal keeps.
   */
  dnstap(filter: ExportRequest): AsyncIterable<Uint8Array>;
  /** Writes the evidence bundle (zip) to `sink`, with the dashboard PNG when given. */
  /** The evidence zip; `opts.reportPdf` (the desktop app) adds report.pdf. */
  bundle(
    filter: ExportRequest,
    screenshot: Uint8Array | null,
    sink: ZipSink,
    opts?: BundleOptions,
  ): Promise<BundleResult>;
  /** The fingerprint of the key that signs this installation's bundles; makes the key on first use. */
  installKey(): Promise<InstallKeyInfo>;
  /**
   * Starts importing a file in a worker thread; progress comes through onImportProgress, ending 'done' once
   * the capture is in the dashboard. Throws with the reason when it cannot start.
   */
  startImport(job: ImportJob): void;
  /** Cancels the import `id`; false when none runs. */
  cancelImport(id: string): boolean;
  onImportProgress(listener: (progress: ImportProgress) => void): () => void;
  /** Progress of every export. Returns the unsubscribe function. */
  onExportProgress(listener: (progress: ExportProgress) => void): () => void;
  /** Live query batches (~every 200 ms while queries arrive). Returns the unsubscribe function. */
  subscribe(listener: (batch: QueryBatch) => void): () => void;
  /** Status about once a second. Returns the unsubscribe function. */
  onStatus(listener: (status: EngineStatus) => void): () => void;
  onWarning(listener: (warning: EngineWarning) => void): () => void;
  /**
   * Names the device at `address` (by its MAC where known, else by address) and saves the name; "" removes it.
   * Rejects with a message for the user when the name is invalid or cannot be saved.
   */
  renameDevice(address: string, name: string): Promise<DeviceInfo>;
  /**
   * Saves the addresses the user names as the router (replacing the previous ones; --router and detected
   * gateways stay routers) and resolves with every known device. Rejects on a non-address, changing nothing.
   */
  setRouters(addresses: readonly string[]): Promise<DeviceInfo[]>;
  /** A device seen for the first time, or a change in what is known about one. Returns the unsubscribe function. */
  onDevice(listener: (device: DeviceInfo) => void): () => void;
  /** Watchlist traffic per rule and device: counts, rates, beacons, markers and their before/after effect. */
  watchReport(): WatchReport;
  /** Every rule, built-in and the user's, as applied. */
  watchRules(): readonly ActiveRule[];
  /** Switches a rule on or off or sets its blocking. Rejects for an unknown id. */
  updateWatchRule(id: string, change: RuleChange): Promise<ActiveRule>;
  /** Adds or replaces one of the user's rules. Rejects with a message for the user on bad patterns. */
  saveWatchRule(input: RuleInput): Promise<ActiveRule>;
  /** Removes one of the user's rules. Rejects when there is no such rule of the user's. */
  removeWatchRule(id: string): Promise<void>;
  /** Watched queries per minute over the last `rangeMinutes` (0: all), with the event seq they include. */
  watchMinutes(rangeMinutes: number): WatchMinutes;
  /** Adds a marker at `ts` (default now). Rejects on an empty label. */
  addMarker(label: string, ts?: number): Promise<Marker>;
  removeMarker(id: string): Promise<void>;
  watchSettings(): WatchSettings;
  /** Saves the user's router model; "" forgets it. */
  setRouterModel(model: string): Promise<WatchSettings>;
  /** Saves the correlation's look-back window (seconds, already validated). */
  setCorrelationWindow(seconds: number): Promise<WatchSettings>;
  /** The watchlist report when it changed, at most every 2 s. Returns the unsubscribe function. */
  onWatchReport(listener: (report: WatchReport) => void): () => void;
  /** Router traffic to a watched service, once per rule and router address. Returns the unsubscribe function. */
  onWatchAlert(listener: (alert: WatchAlert) => void): () => void;
  /** The Settings panel's view: saved values, what runs now, which fields the command line set. */
  configView(): ConfigView;
  /** Validates, applies where possible and saves the settings; invalid values come back per field. */
  saveConfig(values: ConfigValues): Promise<ConfigSaveResult>;
  /** The colour theme chosen in Settings; 'system' until one is chosen. */
  theme(): ThemeSetting;
  /** Saves the colour theme and tells every subscriber. Rejects when the settings file cannot be written. */
  setTheme(theme: ThemeChoice): Promise<ThemeSetting>;
  /** The colour theme after each save. Returns the unsubscribe function. */
  onTheme(listener: (setting: ThemeSetting) => void): () => void;
  /** Settings → Alerts: the targets (secrets only as "set or not") and how each fared. */
  alertsView(): AlertsView;
  /** Validates, saves and applies the alert targets; invalid values come back per field. */
  saveAlerts(input: AlertSettingsInput): Promise<AlertsSaveResult>;
  /** A test alert to `target` with its saved settings. Never rejects. */
  testAlert(target: AlertTarget): Promise<AlertTestResult>;
  /** The setup assistant's view of port 53, the router and the saved progress. Never rejects. */
  setupState(since: number, withSurvey?: boolean): Promise<SetupState>;
  /** A real query to each of our own listeners. Never rejects. */
  selfTest(): Promise<SelfTestResult[]>;
  /** Saves what the user changed on the router. Rejects when it cannot be written. */
  saveSetupProgress(change: SetupProgressChange): Promise<SetupProgress>;
  /** What to set back on the router, as plain text (shown on quit); "" when the router does not use us. */
  restoreGuidance(): string;
}
