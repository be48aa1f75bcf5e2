import type { QueryListRequest, SnapshotRequest } from '@shared/api';
import type {
  CaptureInfo,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryFilter,
  QueryPage,
  Snapshot,
} from '@shared/events';

/** What both transports (Electron IPC, headless HTTP/WebSocket) need from the running engine. */
export interface EngineHandle {
  /** Starts recording (the forwarder answers whether or not a capture runs); returns the running capture. */
  startCapture(): CaptureInfo;
  /** Stops recording; resolves once the journal is flushed. Null when nothing was running. */
  stopCapture(): Promise<CaptureInfo | null>;
  snapshot(req: SnapshotRequest): Snapshot;
  /** Newest first, filtered and paged. */
  queries(req: QueryListRequest): QueryPage;
  status(): EngineStatus;
  /** The filtered queries as CSV text in chunks, header first, oldest query first. */
  csv(filter: QueryFilter): AsyncIterable<string>;
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
}
