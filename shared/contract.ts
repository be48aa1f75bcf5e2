/**
 * The table every transport is derived from: each request channel with the schema its argument must pass
 * and the type of its result, and each event channel with the type of its payload. From it come the preload
 * API (electron/preload), the renderer's bridge (renderer/src/lib/bridge.ts), main's IPC handlers
 * (electron/main/ipc/requests.ts), the headless service's RPC routes (electron/headless/server.ts) and the
 * map from requests to the engine (electron/engine-api/). Adding a request is one entry here and its handler:
 * one line in electron/engine-api/requests.ts, or, for `by: 'transport'`, one per transport (the compiler
 * asks for each). Channels are named `domain:verb`.
 *
 * Runtime-agnostic (no Node, no DOM), and every argument, result and payload is plain data, so the same
 * table can serve a MessagePort (a worker thread) later.
 */
import { z } from 'zod';
import type {
  AddMarkerRequest,
  ClientListRequest,
  CorrelationWindowRequest,
  ExportKind,
  ExportProgress,
  ExportRequest,
  ExportResult,
  InstallKeyInfo,
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
import {
  alertSettingsSchema,
  alertTestSchema,
  type AlertSettingsInput,
  type AlertsSaveResult,
  type AlertTarget,
  type AlertTestResult,
  type AlertsView,
} from './alerts';
import { configValuesSchema, type ConfigSaveResult, type ConfigValues, type ConfigView } from './config';
import type {
  CaptureInfo,
  ClientPage,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryPage,
  Snapshot,
} from './events';
import {
  addMarkerSchema,
  clientListSchema,
  correlationWindowRequestSchema,
  exportRequestSchema,
  queryListSchema,
  removeMarkerSchema,
  removeRuleSchema,
  renameDeviceSchema,
  routerModelSchema,
  ruleInputSchema,
  setRoutersSchema,
  snapshotRequestSchema,
  updateRuleSchema,
  watchMinutesSchema,
} from './schemas';
import {
  setupProgressSchema,
  setupStateSchema,
  type SelfTestResult,
  type SetupProgress,
  type SetupProgressChange,
  type SetupState,
  type SetupStateRequest,
} from './setup';
import {
  importCancelSchema,
  importRequestSchema,
  type ImportProgress,
  type ImportRequest,
  type ImportStarted,
} from './import';
import { themeSettingSchema, type ThemeSetting } from './theme';
import type { RuleInput, WatchAlert, WatchMinutes, WatchSettings } from './watch/messages';
import type { Marker, WatchReport } from './watch/report';
import type { ActiveRule } from './watch/rules';

declare const phantom: unique symbol;
/** A type carried by the table without a value (a result or a payload); `{}` at run time. */
export interface Phantom<T> {
  readonly [phantom]?: T;
}
/** The type `Phantom<T>` carries. */
export type PhantomOf<P> = P extends Phantom<infer T> ? T : never;

/** The result type of a request. */
function returns<T>(): Phantom<T> {
  return {};
}
/** The payload type of an event. */
const carries = returns;

/** The argument of a request that takes none: anything else is refused. */
export const NO_ARGS = z.undefined();

/** A request's argument is checked with `schema`, whose output must fit `A`, the type handlers receive. */
function takes<A>(schema: z.ZodType<A>): z.ZodType<A> {
  return schema;
}

export interface RequestSpec {
  /** The preload method that sends it (window.dnsWitness.<method>). */
  readonly method: string;
  /** Checks the renderer's argument in main and in the headless service before any handler runs. */
  readonly args: z.ZodType;
  readonly result: Phantom<unknown>;
  /**
   * 'transport': each transport answers it its own way (a save dialog on the desktop, a download in the
   * browser). Otherwise the engine answers it, through electron/engine-api/requests.ts, on every transport.
   */
  readonly by?: 'transport';
}

export interface EventSpec {
  /** The preload method that subscribes to it; it returns the unsubscribe function. */
  readonly listener: string;
  readonly payload: Phantom<unknown>;
  /** 'engine': every transport forwards it (electron/engine-api/events.ts); 'desktop': main sends it. */
  readonly from: 'engine' | 'desktop';
}

/** Request channel → preload method, argument schema and result. */
export const REQUESTS = {
  'capture:start': { method: 'startCapture', args: NO_ARGS, result: returns<CaptureInfo>() },
  /** Resolves once the journal is flushed; null when nothing was running. */
  'capture:stop': { method: 'stopCapture', args: NO_ARGS, result: returns<CaptureInfo | null>() },
  'capture:snapshot': {
    method: 'snapshot',
    args: takes<SnapshotRequest>(snapshotRequestSchema),
    result: returns<Snapshot>(),
  },
  'query:list': {
    method: 'listQueries',
    args: takes<QueryListRequest>(queryListSchema),
    result: returns<QueryPage>(),
  },
  'status:get': { method: 'getStatus', args: NO_ARGS, result: returns<EngineStatus>() },
  /** A page of the clients, most queries first, with their device details; the snapshot holds the first. */
  'device:list': {
    method: 'listDevices',
    args: takes<ClientListRequest>(clientListSchema),
    result: returns<ClientPage>(),
  },
  /** Saves the filtered queries as CSV: a save dialog on the desktop, a download in the browser. */
  'export:csv': {
    method: 'exportCsv',
    args: takes<ExportRequest>(exportRequestSchema),
    result: returns<ExportResult>(),
    by: 'transport',
  },
  /** Saves the filtered DNS exchanges as a pcap file (save dialog / download). */
  'export:pcap': {
    method: 'exportPcap',
    args: takes<ExportRequest>(exportRequestSchema),
    result: returns<ExportResult>(),
    by: 'transport',
  },
  /** Saves the filtered exchanges as a dnstap file, which `dnstap -r` reads (save dialog / download). */
  'export:dnstap': {
    method: 'exportDnstap',
    args: takes<ExportRequest>(exportRequestSchema),
    result: returns<ExportResult>(),
    by: 'transport',
  },
  /** Saves a PNG of the dashboard as shown; the page shows its evidence header strip while this runs. */
  'export:png': {
    method: 'exportPng',
    args: takes<ExportRequest>(exportRequestSchema),
    result: returns<ExportResult>(),
    by: 'transport',
  },
  /** Saves the evidence bundle (CSV, pcap, PNG, summary, report, journals, manifest) as a zip. */
  'export:bundle': {
    method: 'exportBundle',
    args: takes<ExportRequest>(exportRequestSchema),
    result: returns<ExportResult>(),
    by: 'transport',
  },
  /** The fingerprint of the key that signs this installation's bundles (made on first use). */
  'evidence:key': { method: 'installKey', args: NO_ARGS, result: returns<InstallKeyInfo>() },
  /** Names a device (kept across restarts); resolves with its updated info. */
  'device:rename': {
    method: 'renameDevice',
    args: takes<RenameDeviceRequest>(renameDeviceSchema),
    result: returns<DeviceInfo>(),
  },
  /** Saves which addresses are the router; resolves with every known device. */
  'device:set-routers': {
    method: 'setRouters',
    args: takes<SetRoutersRequest>(setRoutersSchema),
    result: returns<DeviceInfo[]>(),
  },
  /** Watchlist traffic per rule and device, the markers and the rate change around each. */
  'watch:report': { method: 'watchReport', args: NO_ARGS, result: returns<WatchReport>() },
  /** Every rule, built-in and the user's, with the user's switches. */
  'watch:rules': { method: 'watchRules', args: NO_ARGS, result: returns<readonly ActiveRule[]>() },
  /** Switches a rule on or off or sets its blocking; applies to the next query. */
  'watch:update': {
    method: 'updateWatchRule',
    args: takes<UpdateRuleRequest>(updateRuleSchema),
    result: returns<ActiveRule>(),
  },
  /** Adds (no id) or replaces one of the user's own rules. */
  'watch:save-rule': {
    method: 'saveWatchRule',
    args: takes<RuleInput>(ruleInputSchema),
    result: returns<ActiveRule>(),
  },
  'watch:remove-rule': {
    method: 'removeWatchRule',
    args: takes<RemoveRuleRequest>(removeRuleSchema),
    result: returns<null>(),
  },
  /** Per-minute watched queries per rule and client, for the charts. */
  'watch:minutes': {
    method: 'watchMinutes',
    args: takes<WatchMinutesRequest>(watchMinutesSchema),
    result: returns<WatchMinutes>(),
  },
  'marker:add': {
    method: 'addMarker',
    args: takes<AddMarkerRequest>(addMarkerSchema),
    result: returns<Marker>(),
  },
  'marker:remove': {
    method: 'removeMarker',
    args: takes<RemoveMarkerRequest>(removeMarkerSchema),
    result: returns<null>(),
  },
  'watch-settings:get': { method: 'getWatchSettings', args: NO_ARGS, result: returns<WatchSettings>() },
  /** Saves the user's router model; resolves with the saved settings. */
  'watch-settings:router-model': {
    method: 'setRouterModel',
    args: takes<RouterModelRequest>(routerModelSchema),
    result: returns<WatchSettings>(),
  },
  /** Saves the correlation's look-back window; resolves with the settings. */
  'watch-settings:correlation-window': {
    method: 'setCorrelationWindow',
    args: takes<CorrelationWindowRequest>(correlationWindowRequestSchema),
    result: returns<WatchSettings>(),
  },
  /** The Settings panel: saved values, what runs now, which fields the command line set. */
  'config:get': { method: 'getConfig', args: NO_ARGS, result: returns<ConfigView>() },
  /** Validates, applies and saves the settings; invalid values come back per field and nothing changes. */
  'config:save': {
    method: 'saveConfig',
    args: takes<ConfigValues>(configValuesSchema),
    result: returns<ConfigSaveResult>(),
  },
  /** The colour theme chosen in Settings (system, light or dark). */
  'theme:get': { method: 'getTheme', args: NO_ARGS, result: returns<ThemeSetting>() },
  /** Saves the colour theme; every window and browser tab follows through theme:change. */
  'theme:set': {
    method: 'setTheme',
    args: takes<ThemeSetting>(themeSettingSchema),
    result: returns<ThemeSetting>(),
  },
  /** Settings → Alerts: the targets without their secrets, and how each fared. */
  'alerts:get': { method: 'getAlerts', args: NO_ARGS, result: returns<AlertsView>() },
  /** Validates, saves and applies the alert targets; a secret left out is kept, "" removes it. */
  'alerts:save': {
    method: 'saveAlerts',
    args: takes<AlertSettingsInput>(alertSettingsSchema),
    result: returns<AlertsSaveResult>(),
  },
  /** Sends a test alert to one target with its saved settings. */
  'alerts:test': {
    method: 'testAlert',
    args: takes<{ readonly target: AlertTarget }>(alertTestSchema),
    result: returns<AlertTestResult>(),
  },
  /** The setup assistant: addresses and port 53, what is in the way, the router's latest query since `since`. */
  'setup:state': {
    method: 'setupState',
    args: takes<SetupStateRequest>(setupStateSchema),
    result: returns<SetupState>(),
  },
  /** Sends a real query to each of our own listeners; one result per listener. */
  'setup:self-test': { method: 'selfTest', args: NO_ARGS, result: returns<SelfTestResult[]>() },
  /** Saves what the user changed on the router and whether the assistant is done. */
  'setup:progress': {
    method: 'saveSetupProgress',
    args: takes<SetupProgressChange>(setupProgressSchema),
    result: returns<SetupProgress>(),
  },
  /**
   * Imports another program's DNS history into a new capture: the desktop app asks for the file with an open
   * dialog, the browser uploads one the user picks. Null when no file was chosen; progress in import:progress.
   */
  'import:file': {
    method: 'importFile',
    args: takes<ImportRequest>(importRequestSchema),
    result: returns<ImportStarted>(),
    by: 'transport',
  },
  /** Cancels an import (an upload still arriving too); false when none runs with that id. */
  'import:cancel': {
    method: 'cancelImport',
    args: takes<{ readonly id: string }>(importCancelSchema),
    result: returns<boolean>(),
  },
} as const satisfies Readonly<Record<string, RequestSpec>>;

/** Event channel → preload listener and payload, pushed to the UI. */
export const EVENTS = {
  'query:batch': { listener: 'onQueryBatch', payload: carries<QueryBatch>(), from: 'engine' },
  'engine:status': { listener: 'onStatus', payload: carries<EngineStatus>(), from: 'engine' },
  'engine:warning': { listener: 'onWarning', payload: carries<EngineWarning>(), from: 'engine' },
  /** A device seen for the first time, or what is known about one changed (MAC, vendor, names, router). */
  'device:update': { listener: 'onDeviceUpdate', payload: carries<DeviceInfo>(), from: 'engine' },
  /** The watchlist report when it changed (new watched queries, markers, switches), at most every 2 s. */
  'watch:report': { listener: 'onWatchReport', payload: carries<WatchReport>(), from: 'engine' },
  /** Router traffic to a watched service, the first time per rule and router address. */
  'watch:alert': { listener: 'onWatchAlert', payload: carries<WatchAlert>(), from: 'engine' },
  /** The colour theme was saved (by any window or tab); the desktop app also sets nativeTheme from it. */
  'theme:change': { listener: 'onThemeChange', payload: carries<ThemeSetting>(), from: 'engine' },
  /** From the desktop app's menu (never sent by the headless service). */
  'ui:command': { listener: 'onUiCommand', payload: carries<UiCommand>(), from: 'desktop' },
  /** How far a running export is. */
  'export:progress': { listener: 'onExportProgress', payload: carries<ExportProgress>(), from: 'engine' },
  /** How far each import is, until it is done (its capture then in the dashboard), failed or cancelled. */
  'import:progress': { listener: 'onImportProgress', payload: carries<ImportProgress>(), from: 'engine' },
  /** The desktop File menu asks the page to run an export (the page shows what the PNG must show first). */
  'export:menu': {
    listener: 'onExportMenu',
    payload: carries<{ readonly kind: ExportKind }>(),
    from: 'desktop',
  },
} as const satisfies Readonly<Record<string, EventSpec>>;

export type RequestTable = typeof REQUESTS;
export type EventTable = typeof EVENTS;
export type RequestChannel = keyof RequestTable;
export type EventChannel = keyof EventTable;
/** What the handler of `K` receives: its argument after the schema (trimmed, defaults applied). */
export type RequestArgs<K extends RequestChannel> = z.output<RequestTable[K]['args']>;
export type RequestResult<K extends RequestChannel> = PhantomOf<RequestTable[K]['result']>;
/** Request channel → argument and result. */
export type Requests = { [K in RequestChannel]: { args: RequestArgs<K>; result: RequestResult<K> } };
/** Event channel → payload. */
export type Events = { [K in EventChannel]: PhantomOf<EventTable[K]['payload']> };

/** Requests the engine answers, the same way on every transport. */
export type EngineRequestChannel = {
  [K in RequestChannel]: RequestTable[K] extends { readonly by: 'transport' } ? never : K;
}[RequestChannel];
/** Requests each transport answers its own way (save dialogs, downloads). */
export type TransportRequestChannel = Exclude<RequestChannel, EngineRequestChannel>;
/** Events from the engine, forwarded by every transport. */
export type EngineEventChannel = {
  [K in EventChannel]: EventTable[K]['from'] extends 'engine' ? K : never;
}[EventChannel];

const specOf = (channel: RequestChannel): RequestSpec => REQUESTS[channel];

export const REQUEST_CHANNELS = Object.keys(REQUESTS) as readonly RequestChannel[];
export const EVENT_CHANNELS = Object.keys(EVENTS) as readonly EventChannel[];
export const ENGINE_REQUEST_CHANNELS = REQUEST_CHANNELS.filter(
  (c): c is EngineRequestChannel => specOf(c).by !== 'transport',
);
export const TRANSPORT_REQUEST_CHANNELS = REQUEST_CHANNELS.filter(
  (c): c is TransportRequestChannel => specOf(c).by === 'transport',
);
export const ENGINE_EVENT_CHANNELS = EVENT_CHANNELS.filter(
  (c): c is EngineEventChannel => EVENTS[c].from === 'engine',
);

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(REQUESTS, value);
}

export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}

export function isEngineRequestChannel(value: unknown): value is EngineRequestChannel {
  return isRequestChannel(value) && specOf(value).by !== 'transport';
}

export function isTransportRequestChannel(value: unknown): value is TransportRequestChannel {
  return isRequestChannel(value) && specOf(value).by === 'transport';
}

/** False for the channels that take no argument (NO_ARGS). */
export function takesArgs(channel: RequestChannel): boolean {
  return specOf(channel).args !== NO_ARGS;
}

/** Parses `args` for `channel`; throws a readable Error when they do not fit. */
export function parseRequestArgs<K extends RequestChannel>(channel: K, args: unknown): RequestArgs<K> {
  const result = specOf(channel).args.safeParse(args);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new Error(`invalid arguments for ${channel}${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return result.data as RequestArgs<K>;
}
