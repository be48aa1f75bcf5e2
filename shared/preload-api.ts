/**
 * What electron/preload exposes on `window.dnsWitness`: one method per action, listeners return their
 * unsubscribe function. renderer/src/lib/bridge.ts adapts it to `DnsWitnessApi`.
 */
import type {
  AddMarkerRequest,
  CorrelationWindowRequest,
  ExportKind,
  ExportProgress,
  ExportRequest,
  ExportResult,
  QueryListRequest,
  RemoveMarkerRequest,
  RemoveRuleRequest,
  RenameDeviceRequest,
  RouterModelRequest,
  SetRoutersRequest,
  SnapshotRequest,
  UiCommand,
  UpdateRuleRequest,
  WatchMinutesRequest,
} from './api';
import type {
  CaptureInfo,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryPage,
  Snapshot,
} from './events';
import type { ConfigSaveResult, ConfigValues, ConfigView } from './config';
import type {
  SelfTestResult,
  SetupProgress,
  SetupProgressChange,
  SetupState,
  SetupStateRequest,
} from './setup';
import type { RuleInput, WatchAlert, WatchMinutes, WatchSettings } from './watch/messages';
import type { Marker, WatchReport } from './watch/report';
import type { ActiveRule } from './watch/rules';

export interface PreloadApi {
  startCapture(): Promise<CaptureInfo>;
  stopCapture(): Promise<CaptureInfo | null>;
  snapshot(req: SnapshotRequest): Promise<Snapshot>;
  listQueries(req: QueryListRequest): Promise<QueryPage>;
  getStatus(): Promise<EngineStatus>;
  exportCsv(filter: ExportRequest): Promise<ExportResult>;
  exportPcap(filter: ExportRequest): Promise<ExportResult>;
  exportPng(filter: ExportRequest): Promise<ExportResult>;
  exportBundle(filter: ExportRequest): Promise<ExportResult>;
  renameDevice(req: RenameDeviceRequest): Promise<DeviceInfo>;
  setRouters(req: SetRoutersRequest): Promise<DeviceInfo[]>;
  watchReport(): Promise<WatchReport>;
  watchRules(): Promise<readonly ActiveRule[]>;
  updateWatchRule(req: UpdateRuleRequest): Promise<ActiveRule>;
  saveWatchRule(req: RuleInput): Promise<ActiveRule>;
  removeWatchRule(req: RemoveRuleRequest): Promise<null>;
  watchMinutes(req: WatchMinutesRequest): Promise<WatchMinutes>;
  addMarker(req: AddMarkerRequest): Promise<Marker>;
  removeMarker(req: RemoveMarkerRequest): Promise<null>;
  getSettings(): Promise<WatchSettings>;
  setRouterModel(req: RouterModelRequest): Promise<WatchSettings>;
  setCorrelationWindow(req: CorrelationWindowRequest): Promise<WatchSettings>;
  getConfig(): Promise<ConfigView>;
  saveConfig(values: ConfigValues): Promise<ConfigSaveResult>;
  setupState(req: SetupStateRequest): Promise<SetupState>;
  selfTest(): Promise<SelfTestResult[]>;
  saveSetupProgress(change: SetupProgressChange): Promise<SetupProgress>;
  onQueryBatch(listener: (batch: QueryBatch) => void): () => void;
  onStatus(listener: (status: EngineStatus) => void): () => void;
  onWarning(listener: (warning: EngineWarning) => void): () => void;
  onDeviceUpdate(listener: (device: DeviceInfo) => void): () => void;
  onWatchReport(listener: (report: WatchReport) => void): () => void;
  onWatchAlert(listener: (alert: WatchAlert) => void): () => void;
  onUiCommand(listener: (command: UiCommand) => void): () => void;
  onExportProgress(listener: (progress: ExportProgress) => void): () => void;
  onExportMenu(listener: (request: { readonly kind: ExportKind }) => void): () => void;
  /** Tells main the renderer is subscribed, so main starts sending events. */
  ready(): void;
}

/** The global name the preload script exposes. */
export const PRELOAD_GLOBAL = 'dnsWitness';
