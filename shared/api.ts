/**
 * The messages between the UI and the engine, and `DnsWitnessApi`, which Electron IPC (preload + ipcMain)
 * and the headless HTTP/WebSocket service both implement; the renderer only sees that. Which channel carries
 * which message is the table in contract.ts.
 */
import type { QueryFilter } from './events';
import type { RuleChange } from './watch/messages';
import type { EventChannel, Events, RequestArgs, RequestChannel, RequestResult } from './contract';

export type { EventChannel, Events, RequestArgs, RequestChannel, RequestResult, Requests } from './contract';

export interface SnapshotRequest {
  /** How many minutes of per-minute buckets to include, counted back from now; 0 = whole retained history. */
  readonly rangeMinutes: number;
}

/** A page of the clients, most queries first. */
export interface ClientListRequest {
  readonly offset?: number;
  /** Default 100, at most 1000. */
  readonly limit?: number;
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

/**
 * The evidence exports: queries as CSV, DNS packets as pcap or dnstap, the dashboard as PNG, all of it (but
 * dnstap) as a zip.
 */
export type ExportKind = 'csv' | 'pcap' | 'dnstap' | 'png' | 'bundle';

/** An export of the filtered queries; `exportId` (letters, digits, dashes) tags its export:progress events. */
export interface ExportRequest extends QueryFilter {
  readonly exportId?: string;
}

/**
 * The key this installation signs its evidence bundles with: the fingerprint (SHA-256 of the Ed25519 public
 * key, hex in groups of four) that `npm run verify` shows, for the user to publish once.
 */
export interface InstallKeyInfo {
  readonly algorithm: 'Ed25519';
  readonly fingerprint: string;
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

/** What the renderer gets from either transport. Listeners return their unsubscribe function. */
export interface DnsWitnessApi {
  invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>>;
  on<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void;
  /** Which transport is behind the API, for wording only ("Save…" vs "Download"). */
  readonly transport: 'ipc' | 'websocket';
}
