import type { QueryListRequest, SnapshotRequest } from '@shared/api';
import { deviceLabel } from '@shared/devices';
import type {
  CaptureInfo,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  ListenerStatus,
  QueryBatch,
  QueryFilter,
  QueryPage,
  Snapshot,
  WarningCode,
} from '@shared/events';
import { CaptureStore, type ExchangeRecord } from './capture';
import type { CsvDevice } from './capture/csv';
import { lockDataDir } from './data-lock';
import { DeviceRegistry, type DeviceRegistryOptions } from './devices';
import { AccessList, DEFAULT_ALLOWED } from './dns/acl';
import { Forwarder } from './dns/forwarder';
import { NetworkUpstream } from './dns/upstream';
import type { EngineOptions } from './options';
import { RouterSetting } from './router-setting';
import type { EngineHandle } from './types';

export type { EngineOptions } from './options';
export { defaultEngineOptions } from './options';

declare const __APP_VERSION__: string | undefined;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

const STATUS_INTERVAL_MS = 1000;
/** Warnings of one kind reach listeners at most this often; the count keeps growing in between. */
const WARNING_REPEAT_MS = 10_000;

/** Parts of the engine a test may replace; the app passes none. */
export interface EngineTestHooks {
  /** Device registry options, e.g. no gateway detection or a fixed neighbour table. */
  readonly devices?: Partial<Omit<DeviceRegistryOptions, 'dataDir' | 'routers' | 'onWarning'>>;
}

/** The CSV device columns for what the registry knows. */
function csvDevice(d: DeviceInfo): CsvDevice {
  return { device: deviceLabel(d), mac: d.mac, vendor: d.vendor, isRouter: d.isRouter };
}

/** The capture engine: forwarder + capture store + status. Plain Node; both the desktop app and `serve` run it. */
export class Engine implements EngineHandle {
  readonly options: EngineOptions;
  private readonly store: CaptureStore;
  private readonly devices: DeviceRegistry;
  private readonly routerSetting: RouterSetting;
  private readonly forwarder: Forwarder;
  private readonly warnings = new Map<WarningCode, EngineWarning & { notified: number }>();
  private readonly statusListeners = new Set<(s: EngineStatus) => void>();
  private readonly warningListeners = new Set<(w: EngineWarning) => void>();
  private statusTimer: NodeJS.Timeout | null = null;

  private readonly unlock: () => Promise<void>;

  private constructor(
    options: EngineOptions,
    store: CaptureStore,
    devices: DeviceRegistry,
    routerSetting: RouterSetting,
    unlock: () => Promise<void>,
  ) {
    this.options = options;
    this.store = store;
    this.devices = devices;
    this.routerSetting = routerSetting;
    this.unlock = unlock;
    this.forwarder = new Forwarder({
      listen: options.listen,
      upstreams: options.upstreams.map((u) => new NetworkUpstream(u)),
      acl: new AccessList([...DEFAULT_ALLOWED, ...options.allow]),
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      sink: { record: (rec) => this.record(rec) },
      onWarning: (code, message) => this.warn(code, message),
    });
  }

  /**
   * Locks the data dir, loads earlier captures, device names and the saved router. Throws an Error with a
   * readable message for a bad option (an --allow range, a --router that is not an address), a data folder
   * that cannot be used, or one another engine holds.
   */
  static async open(options: EngineOptions, hooks: EngineTestHooks = {}): Promise<Engine> {
    // Validate the ranges before touching the disk, so a typo fails fast.
    new AccessList([...DEFAULT_ALLOWED, ...options.allow]);
    const unlock = await lockDataDir(options.dataDir);
    let engine: Engine | null = null;
    // What loading finds (a torn journal line, a corrupt line) is reported once the engine exists.
    const early: [WarningCode, string][] = [];
    const warn = (code: WarningCode) => (message: string) =>
      engine ? engine.warn(code, message) : early.push([code, message]);
    let store: CaptureStore;
    let devices: DeviceRegistry;
    let routerSetting: RouterSetting;
    try {
      store = await CaptureStore.open({
        dataDir: options.dataDir,
        retentionDays: options.retentionDays,
        onWarning: warn('journal-error'),
      });
      routerSetting = await RouterSetting.load(options.dataDir, warn('device-lookup'));
      try {
        devices = await DeviceRegistry.open({
          ...hooks.devices,
          dataDir: options.dataDir,
          routers: [...options.routers, ...routerSetting.routers],
          onWarning: warn('device-lookup'),
        });
      } catch (err) {
        await store.close();
        throw err;
      }
    } catch (err) {
      await unlock();
      throw err;
    }
    engine = new Engine(options, store, devices, routerSetting, unlock);
    for (const [code, message] of early) engine.warn(code, message);
    if (options.autoStartCapture) store.start();
    return engine;
  }

  /** Binds the DNS listeners. Failures are in the result and in status warnings, never thrown. */
  async listen(): Promise<ListenerStatus[]> {
    const statuses = await this.forwarder.listen();
    this.statusTimer ??= setInterval(() => this.emitStatus(), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    return statuses;
  }

  startCapture(): CaptureInfo {
    const info = this.store.start();
    this.emitStatus();
    return info;
  }

  async stopCapture(): Promise<CaptureInfo | null> {
    const info = await this.store.stop();
    this.emitStatus();
    return info;
  }

  snapshot(req: SnapshotRequest): Snapshot {
    return {
      lastSeq: this.store.lastSeq(),
      status: this.status(),
      captures: this.store.captures(),
      clients: this.store.clients(),
      minutes: this.store.minutes(req.rangeMinutes),
      recent: this.store.recent(),
      devices: this.devices.all(),
    };
  }

  queries(req: QueryListRequest): QueryPage {
    return this.store.query(req);
  }

  csv(filter: QueryFilter): AsyncIterable<string> {
    return this.store.csv(filter, (address) => csvDevice(this.devices.get(address)));
  }

  /** What is known about the device at `address` (defaults for one never seen). */
  device(address: string): DeviceInfo {
    return this.devices.get(address);
  }

  /** The router's addresses: --router, the saved setting, then the detected default gateways. */
  routerAddresses(): string[] {
    return this.devices.routerAddresses();
  }

  async renameDevice(address: string, name: string): Promise<DeviceInfo> {
    return this.devices.rename(address, name);
  }

  async setRouters(addresses: readonly string[]): Promise<DeviceInfo[]> {
    // The registry checks the addresses first, so a bad one changes nothing and saves nothing.
    this.devices.setRouters([...this.options.routers, ...addresses]);
    await this.routerSetting.save(addresses);
    return this.devices.all();
  }

  onDevice(listener: (device: DeviceInfo) => void): () => void {
    return this.devices.onChange(listener);
  }

  captures(): CaptureInfo[] {
    return this.store.captures();
  }

  clients() {
    return this.store.clients();
  }

  status(): EngineStatus {
    return {
      version: VERSION,
      capture: this.store.current(),
      listeners: this.forwarder.listenerStatus(),
      upstreams: this.forwarder.upstreamStatus(),
      counters: this.forwarder.counters(),
      qps: this.store.qps(),
      warnings: [...this.warnings.values()].map(({ notified: _n, ...w }) => w),
      dataDir: this.options.dataDir,
      now: Date.now(),
    };
  }

  subscribe(listener: (batch: QueryBatch) => void): () => void {
    return this.store.subscribe(listener);
  }

  onStatus(listener: (status: EngineStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onWarning(listener: (warning: EngineWarning) => void): () => void {
    this.warningListeners.add(listener);
    return () => this.warningListeners.delete(listener);
  }

  /** Stops listening, flushes the journal. The running capture is stopped so its end time is recorded. */
  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
    await this.forwarder.close();
    await this.store.stop();
    await this.store.close();
    await this.devices.close();
    await this.routerSetting.flush();
    await this.unlock();
  }

  /**
   * The forwarder's sink: records the exchange and notes its client as a device. Our own reverse lookup, sent
   * back to us by a router that uses this computer as its resolver, was answered but is not the router's.
   */
  private record(rec: ExchangeRecord): void {
    if (rec.qtype === 'PTR' && this.devices.isOwnLookup(rec.client, rec.qname, rec.ts)) return;
    this.store.record(rec);
    this.devices.observe(rec.client);
  }

  private warn(code: WarningCode, message: string): void {
    const now = Date.now();
    const prev = this.warnings.get(code);
    const notify = !prev || prev.message !== message || now - prev.notified >= WARNING_REPEAT_MS;
    const w = {
      code,
      message,
      ts: now,
      count: (prev?.count ?? 0) + 1,
      notified: notify ? now : (prev?.notified ?? now),
    };
    this.warnings.set(code, w);
    if (!notify) return;
    const { notified: _n, ...warning } = w;
    for (const l of this.warningListeners) {
      try {
        l(warning);
      } catch {
        // A failing listener must not stop the forwarder that raised the warning.
      }
    }
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const s = this.status();
    for (const l of this.statusListeners) {
      try {
        l(s);
      } catch {
        // Same as above: listeners never break the engine.
      }
    }
  }
}
