import type { DnstapIdentity } from '../dnstap/encode';
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
  HistoryStatus,
  MinuteBucket,
  QueryBatch,
  QueryPage,
  Snapshot,
  StorageStatus,
} from '@shared/events';
import type { CaptureStore, ExchangeRecord } from '../capture';
import { pickClients } from '../capture/aggregates';
import type { Clock } from '../clock';
import { csvDeviceOf } from '../export/derive';
import { Exporter, type BundleOptions, type BundleResult } from '../export/exporter';
import { InstallKeyStore } from '../export/install-key';
import type { ZipSink } from '../export/zip-writer';
import type { DeviceService } from './devices';
import type { WatchlistService } from './watchlist';

/** Clients a snapshot lists at most (routers besides); the dashboard pages through the rest. */
export const SNAPSHOT_CLIENTS = 1000;
const DEFAULT_PAGE = 100;

/** What the exports state besides the queries: read when an export starts. */
export interface CaptureFacts {
  status(): EngineStatus;
  readonly clock: Pick<Clock, 'now'>;
  readonly devices: Pick<DeviceService, 'get' | 'routerAddresses'>;
  readonly watchlist: Pick<WatchlistService, 'report' | 'routerModel' | 'minutes'>;
  /** Resolves once the devices know what the imported captures say of them (MACs, names); default: at once. */
  devicesReady?(): Promise<void>;
}

/** The recorded queries: capturing, the snapshot and query pages, live batches and the exports. */
export class CaptureService {
  private readonly exporter: Exporter;
  private readonly keys: InstallKeyStore;
  private historyRun: Promise<void> | null = null;
  private readonly devicesReady: () => Promise<void>;

  constructor(
    /** Read by the watchlist's correlation and replayed into its rates at start. */
    readonly store: CaptureStore,
    dataDir: string,
    facts: CaptureFacts,
  ) {
    const { devices, watchlist } = facts;
    this.devicesReady = () => facts.devicesReady?.() ?? Promise.resolve();
    const keys = new InstallKeyStore(dataDir);
    this.keys = keys;
    this.exporter = new Exporter({
      dataDir,
      facts: () => ({
        now: facts.clock.now(),
        status: facts.status(),
        captures: store.captures(),
        clients: store.clients(),
        device: (address) => devices.get(address),
        routers: devices.routerAddresses(),
        routerModel: watchlist.routerModel(),
        watch: watchlist.report(),
        watchMinutes: watchlist.minutes(0).minutes,
      }),
      csv: (filter) => store.csv(filter, (address) => csvDeviceOf(devices.get(address))),
      count: async (filter) => (await store.query({ ...filter, limit: 1 })).total,
      flush: () => store.flush(),
      installKey: () => keys.get(),
    });
  }

  get isRecording(): boolean {
    return this.store.isRecording;
  }

  /** Records one exchange (journal, index, aggregates, live batch). On the DNS hot path. */
  record(rec: ExchangeRecord): void {
    this.store.record(rec);
  }

  start(): CaptureInfo {
    return this.store.start();
  }

  stop(): Promise<CaptureInfo | null> {
    return this.store.stop();
  }

  current(): CaptureInfo | null {
    return this.store.current();
  }

  /** How far the earlier captures are read after a start. */
  history(): HistoryStatus {
    return this.store.history();
  }

  /** Runs `read` (the earlier captures) once, then `done`; later calls share that run. */
  readHistory(read: () => Promise<void>, done: () => void): Promise<void> {
    this.historyRun ??= read().then(done);
    return this.historyRun;
  }

  /** Whether recording reaches the disk. */
  storage(): StorageStatus {
    return this.store.storage();
  }

  qps(): number {
    return this.store.qps();
  }

  captures(): CaptureInfo[] {
    return this.store.captures();
  }

  clients() {
    return this.store.clients();
  }

  /**
   * The dashboard's starting point. Its size does not grow with the number of clients: at most
   * SNAPSHOT_CLIENTS of them (and the routers) with their devices and minute counts, the rest counted.
   */
  snapshot(
    req: SnapshotRequest,
    status: EngineStatus,
    devices: DeviceInfo[],
    routers: readonly string[],
  ): Snapshot {
    const all = this.store.clients();
    const pick = pickClients(all, SNAPSHOT_CLIENTS, new Set(routers));
    let minutes = this.store.minutes(req.rangeMinutes);
    if (pick.otherClients > 0) {
      const listed = new Set(pick.listed.map((c) => c.address));
      for (const r of routers) listed.add(r);
      devices = devices.filter((d) => listed.has(d.address));
      minutes = onlyClients(minutes, listed);
    }
    return {
      lastSeq: this.store.lastSeq(),
      status,
      captures: this.store.captures(),
      clients: pick.listed,
      ...(pick.otherClients > 0
        ? { otherClients: { clients: pick.otherClients, queries: pick.otherQueries } }
        : {}),
      minutes,
      recent: this.store.recent(),
      devices,
    };
  }

  /** A page of the clients, most queries first, with their devices. */
  clientPage(req: ClientListRequest, device: (address: string) => DeviceInfo): ClientPage {
    const all = this.store.clients();
    const offset = Math.max(0, Math.floor(req.offset ?? 0));
    const limit = Math.min(1000, Math.max(1, Math.floor(req.limit ?? DEFAULT_PAGE)));
    const clients = all.slice(offset, offset + limit);
    let queries = 0;
    for (const c of all) queries += c.queries;
    return {
      total: all.length,
      queries,
      offset,
      limit,
      clients,
      devices: clients.map((c) => device(c.address)),
    };
  }

  /** Waits while a stopped capture's rows the page reaches are read back from its journal. */
  queries(req: QueryListRequest): Promise<QueryPage> {
    return this.store.query(req);
  }

  subscribe(listener: (batch: QueryBatch) => void): () => void {
    return this.store.subscribe(listener);
  }

  // Exports cover every retained capture: while the history is still being read after a start, they wait.

  csv(req: ExportRequest): AsyncIterable<string> {
    return afterHistory(this.store, async () => {
      await this.devicesReady();
      return this.exporter.csv(req);
    });
  }

  pcap(req: ExportRequest): AsyncIterable<Buffer> {
    return afterHistory(this.store, () => this.exporter.pcap(req));
  }

  dnstap(req: ExportRequest, identity: DnstapIdentity): AsyncIterable<Buffer> {
    return afterHistory(this.store, () => this.exporter.dnstap(req, identity));
  }

  async bundle(
    req: ExportRequest,
    screenshot: Uint8Array | null,
    sink: ZipSink,
    opts?: BundleOptions,
  ): Promise<BundleResult> {
    await this.store.historyLoaded();
    await this.devicesReady();
    return this.exporter.bundle(req, screenshot, sink, opts);
  }

  /** The fingerprint of the key that signs this install's bundles (made now if it does not exist yet). */
  async installKey(): Promise<InstallKeyInfo> {
    return { algorithm: 'Ed25519', fingerprint: (await this.keys.get()).fingerprint };
  }

  onExportProgress(listener: (progress: ExportProgress) => void): () => void {
    return this.exporter.onProgress(listener);
  }

  /** Keeps captures for `days` from now on and deletes older ones in the background. */
  setRetention(days: number): void {
    this.store.setRetentionDays(days);
    void this.store.applyRetention();
  }

  /** Stops the running capture (so its end time is recorded) and flushes the journal. */
  async close(): Promise<void> {
    await this.store.stop();
    await this.store.close();
  }
}

/** The buckets with the counts of `clients` only (empty minutes left out). */
function onlyClients(minutes: MinuteBucket[], clients: ReadonlySet<string>): MinuteBucket[] {
  const out: MinuteBucket[] = [];
  for (const b of minutes) {
    const counts: Record<string, number> = {};
    let any = false;
    for (const key in b.counts)
      if (clients.has(key)) {
        counts[key] = b.counts[key]!;
        any = true;
      }
    if (any) out.push({ minute: b.minute, counts });
  }
  return out;
}

/** `body()`'s items, started once the store has read its history. */
async function* afterHistory<T>(
  store: Pick<CaptureStore, 'historyLoaded'>,
  body: () => AsyncIterable<T> | Promise<AsyncIterable<T>>,
): AsyncIterable<T> {
  await store.historyLoaded();
  yield* await body();
}
