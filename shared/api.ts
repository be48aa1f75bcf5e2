/**
 * The one contract between the UI and the engine. Electron IPC (preload + ipcMain) and the headless
 * HTTP/WebSocket service both implement it; the renderer only sees `DnsWitnessApi`.
 * Channels are named `domain:verb`.
 */
import type {
  CaptureInfo,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryFilter,
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
import type { RuleChange, RuleInput, WatchAlert, WatchMinutes, WatchSettings } from './watch/messages';
import type { Marker, WatchReport } from './watch/report';
import type { ActiveRule } from './watch/rules';

export interface SnapshotRequest {
  /** How many minutes of per-minute buckets to include, counted back from now; 0 = whole retained history. */
  readonly rangeMinutes: number;
}

export interface QueryListRequest extends QueryFilter {
  readonly offset?: number;
  readonly limit?: number;
}

export interface RenameDeviceRequest {
  /** The device's client address, as in QueryEvent.client. */
  readonly address: string;
  /** Trimmed, at most 64 characters, no control characters; "" removes the name. */
  readonly name: string;
}

export interface SetRoutersRequest {
  /** The addresses the user names as the router (replacing the previous ones), besides detected gateways. */
  readonly addresses: readonly string[];
}

export interface UpdateRuleRequest extends RuleChange {
  readonly id: string;
}

export interface RemoveRuleRequest {
  /** One of the user's own rules; built-in rules are switched off instead. */
  readonly id: string;
}

export interface AddMarkerRequest {
  /** What happened, e.g. "HomeShield switched off"; trimmed, at most 120 characters. */
  readonly label: string;
  /** Epoch ms; now when left out. */
  readonly ts?: number;
}

export interface RemoveMarkerRequest {
  readonly id: string;
}

export interface WatchMinutesRequest {
  /** Minutes counted back from now; 0 = all retained. */
  readonly rangeMinutes: number;
}

export interface RouterModelRequest {
  /** A model from shared/watch/router-models.ts, another model's name, or "" for none. */
  readonly model: string;
}

export interface CorrelationWindowRequest {
  /** Seconds, CORRELATION_WINDOW_S.min to .max. */
  readonly seconds: number;
}

/** Something the desktop app asks the page to do, from a menu item or its keyboard shortcut. */
export interface UiCommand {
  /** 'focus-search': put the cursor in the name filter. */
  readonly command: 'focus-search';
}

/** The evidence exports: queries as CSV, DNS packets as pcap, the dashboard as PNG, all of it as a zip. */
export type ExportKind = 'csv' | 'pcap' | 'png' | 'bundle';

/** An export of the filtered queries; `exportId` (letters, digits, dashes) tags its export:progress events. */
export interface ExportRequest extends QueryFilter {
  readonly exportId?: string;
}

/** Where an export went: `saved` is false (and `path` empty) when the user cancelled the dialog. */
export interface ExportResult {
  readonly saved: boolean;
  readonly path: string;
}

/** How far an export is; sent while it runs (a few times a second at most) and once when it ends. */
export interface ExportProgress {
  readonly exportId: string;
  readonly kind: ExportKind;
  readonly state: 'running' | 'done' | 'failed';
  /** Queries written so far, and how many the filter selects (0 when not known yet). */
  readonly rows: number;
  readonly total: number;
  /** Bytes written so far. */
  readonly bytes: number;
  /** Why it failed; "" otherwise. */
  readonly message: string;
}

/** Request channel → argument and result. Every argument is validated by the receiving side. */
export interface Requests {
  'capture:start': { args: undefined; result: CaptureInfo };
  'capture:stop': { args: undefined; result: CaptureInfo | null };
  'capture:snapshot': { args: SnapshotRequest; result: Snapshot };
  'query:list': { args: QueryListRequest; result: QueryPage };
  'status:get': { args: undefined; result: EngineStatus };
  /** Saves the filtered queries as CSV: a save dialog on the desktop, a download in the browser. */
  'export:csv': { args: ExportRequest; result: ExportResult };
  /** Saves the filtered DNS exchanges as a pcap file (save dialog / download). */
  'export:pcap': { args: ExportRequest; result: ExportResult };
  /** Saves a PNG of the dashboard as shown; the page shows its evidence header strip while this runs. */
  'export:png': { args: ExportRequest; result: ExportResult };
  /** Saves the evidence bundle (CSV, pcap, PNG, summary, report, journals, manifest) as a zip. */
  'export:bundle': { args: ExportRequest; result: ExportResult };
  /** Names a device (kept across restarts); resolves with its updated info. */
  'device:rename': { args: RenameDeviceRequest; result: DeviceInfo };
  /** Saves which addresses are the router; resolves with every known device. */
  'device:set-routers': { args: SetRoutersRequest; result: DeviceInfo[] };
  /** Watchlist traffic per rule and device, the markers and the rate change around each. */
  'watch:report': { args: undefined; result: WatchReport };
  /** Every rule, built-in and the user's, with the user's switches. */
  'watch:rules': { args: undefined; result: readonly ActiveRule[] };
  /** Switches a rule on or off or sets its blocking; applies to the next query. */
  'watch:update': { args: UpdateRuleRequest; result: ActiveRule };
  /** Adds (no id) or replaces one of the user's own rules. */
  'watch:save-rule': { args: RuleInput; result: ActiveRule };
  'watch:remove-rule': { args: RemoveRuleRequest; result: null };
  /** Per-minute watched queries per rule and client, for the charts. */
  'watch:minutes': { args: WatchMinutesRequest; result: WatchMinutes };
  'marker:add': { args: AddMarkerRequest; result: Marker };
  'marker:remove': { args: RemoveMarkerRequest; result: null };
  'settings:get': { args: undefined; result: WatchSettings };
  /** Saves the user's router model; resolves with the saved settings. */
  'settings:router-model': { args: RouterModelRequest; result: WatchSettings };
  /** Saves the correlation's look-back window; resolves with the settings. */
  'settings:correlation-window': { args: CorrelationWindowRequest; result: WatchSettings };
  /** The Settings panel: saved values, what runs now, which fields the command line set. */
  'config:get': { args: undefined; result: ConfigView };
  /** Validates, applies and saves the settings; invalid values come back per field and nothing changes. */
  'config:save': { args: ConfigValues; result: ConfigSaveResult };
  /** The setup assistant: addresses and port 53, what is in the way, the router's latest query since `since`. */
  'setup:state': { args: SetupStateRequest; result: SetupState };
  /** Sends a real query to each of our own listeners; one result per listener. */
  'setup:self-test': { args: undefined; result: SelfTestResult[] };
  /** Saves what the user changed on the router and whether the assistant is done. */
  'setup:progress': { args: SetupProgressChange; result: SetupProgress };
}

/** Event channel → payload, pushed from the engine to the UI. */
export interface Events {
  'query:batch': QueryBatch;
  'engine:status': EngineStatus;
  'engine:warning': EngineWarning;
  /** A device seen for the first time, or what is known about one changed (MAC, vendor, names, router). */
  'device:update': DeviceInfo;
  /** The watchlist report when it changed (new watched queries, markers, switches), at most every 2 s. */
  'watch:report': WatchReport;
  /** Router traffic to a watched service, the first time per rule and router address. */
  'watch:alert': WatchAlert;
  /** From the desktop app's menu (never sent by the headless service). */
  'ui:command': UiCommand;
  /** How far a running export is. */
  'export:progress': ExportProgress;
  /** The desktop File menu asks the page to run an export (the page shows what the PNG must show first). */
  'export:menu': { readonly kind: ExportKind };
}

export type RequestChannel = keyof Requests;
export type EventChannel = keyof Events;
export type RequestArgs<K extends RequestChannel> = Requests[K]['args'];
export type RequestResult<K extends RequestChannel> = Requests[K]['result'];

/** What the renderer gets from either transport. Listeners return their unsubscribe function. */
export interface DnsWitnessApi {
  invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>>;
  on<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void;
  /** Which transport is behind the API, for wording only ("Save…" vs "Download"). */
  readonly transport: 'ipc' | 'websocket';
}

export const REQUEST_CHANNELS = [
  'capture:start',
  'capture:stop',
  'capture:snapshot',
  'query:list',
  'status:get',
  'export:csv',
  'export:pcap',
  'export:png',
  'export:bundle',
  'device:rename',
  'device:set-routers',
  'watch:report',
  'watch:rules',
  'watch:update',
  'watch:save-rule',
  'watch:remove-rule',
  'watch:minutes',
  'marker:add',
  'marker:remove',
  'settings:get',
  'settings:router-model',
  'settings:correlation-window',
  'config:get',
  'config:save',
  'setup:state',
  'setup:self-test',
  'setup:progress',
] as const satisfies readonly RequestChannel[];

export const EVENT_CHANNELS = [
  'query:batch',
  'engine:status',
  'engine:warning',
  'device:update',
  'watch:report',
  'watch:alert',
  'ui:command',
  'export:progress',
  'export:menu',
] as const satisfies readonly EventChannel[];
