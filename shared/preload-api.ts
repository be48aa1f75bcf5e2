/**
 * What electron/preload exposes on `window.dnsWitness`: one method per action, listeners return their
 * unsubscribe function. renderer/src/lib/bridge.ts adapts it to `DnsWitnessApi`.
 */
import type { QueryListRequest, RenameDeviceRequest, SetRoutersRequest, SnapshotRequest } from './api';
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

export interface PreloadApi {
  startCapture(): Promise<CaptureInfo>;
  stopCapture(): Promise<CaptureInfo | null>;
  snapshot(req: SnapshotRequest): Promise<Snapshot>;
  listQueries(req: QueryListRequest): Promise<QueryPage>;
  getStatus(): Promise<EngineStatus>;
  exportCsv(filter: QueryFilter): Promise<{ saved: boolean; path: string }>;
  renameDevice(req: RenameDeviceRequest): Promise<DeviceInfo>;
  setRouters(req: SetRoutersRequest): Promise<DeviceInfo[]>;
  onQueryBatch(listener: (batch: QueryBatch) => void): () => void;
  onStatus(listener: (status: EngineStatus) => void): () => void;
  onWarning(listener: (warning: EngineWarning) => void): () => void;
  onDeviceUpdate(listener: (device: DeviceInfo) => void): () => void;
  /** Tells main the renderer is subscribed, so main starts sending events. */
  ready(): void;
}

/** The global name the preload script exposes. */
export const PRELOAD_GLOBAL = 'dnsWitness';
