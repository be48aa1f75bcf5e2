/**
 * The dashboard's state, folded from one snapshot plus live query batches. Pure: no DOM, no timers, time is
 * passed in. React never sees the raw event stream, only the per-device per-minute buckets, the device
 * totals and a bounded ring of recent events for the log.
 */
import type {
  CaptureInfo,
  ClientPage,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryEvent,
  Snapshot,
} from '@shared/events';
import { MINUTE_MS, minuteOf } from '@shared/time';
import { NewDevices } from './devices';
import { Ring } from './ring';

/** Recent events kept in memory for the log; older rows are paged from the engine on demand. */
export const LOG_RING_SIZE = 5_000;
/** Events held while a snapshot loads (or frames stall); beyond this the state asks for a new snapshot. */
export const MAX_QUEUED_EVENTS = 50_000;
/** Minute buckets kept at most (31 days), whatever range was asked for. */
export const MAX_MINUTE_BUCKETS = 31 * 24 * 60;

/** One client's totals across the retained history, with a color slot that stays the same for the session. */
export interface DeviceTotals {
  readonly address: string;
  readonly queries: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Index into the series palette, assigned in order of first appearance. */
  readonly colorIndex: number;
}

/** Read access to the per-minute counts, keyed by minute start then client address. */
export interface MinuteCounts {
  get(minute: number): ReadonlyMap<string, number> | undefined;
  /** The oldest minute held, or undefined when none. */
  firstMinute(): number | undefined;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** An immutable picture of the dashboard state; a new object after every change, the same object otherwise. */
export interface DashboardView {
  readonly version: number;
  /** True once the first snapshot was applied. */
  readonly loaded: boolean;
  /** True while a (re)load snapshot is outstanding. */
  readonly loading: boolean;
  readonly connection: ConnectionState;
  /** The last problem talking to the engine, "" when none. */
  readonly error: string;
  readonly status: EngineStatus | null;
  readonly captures: readonly CaptureInfo[];
  /** Most queries first. */
  readonly devices: readonly DeviceTotals[];
  /**
   * Bumped when a device is added or the list is replaced, not when growing counts reorder it: what depends
   * on which devices there are (labels, chart series) follows this instead of every change of `devices`.
   */
  readonly deviceSetVersion: number;
  /** What the engine knows about each client address (name, MAC, vendor, router); a new map on change. */
  readonly deviceInfo: ReadonlyMap<string, DeviceInfo>;
  /** Devices that first appeared live a few seconds ago (see NEW_DEVICE_MS). */
  readonly newDevices: ReadonlySet<string>;
  readonly warnings: readonly EngineWarning[];
  /** Every client's queries, those not held yet included. */
  readonly totalQueries: number;
  /** Clients the engine left out of the snapshot (the least busy ones), not fetched since, and their queries. */
  readonly otherDevices: { readonly clients: number; readonly queries: number };
  /** Highest event seq folded in. */
  readonly lastSeq: number;
  /** Bumped whenever the log ring changes. */
  readonly ringVersion: number;
  /** Bumped whenever the minute buckets change, so charts redraw only then (not on every status). */
  readonly bucketsVersion: number;
  /** Events the engine reported as not delivered to this page. */
  readonly droppedEvents: number;
  /** Events received twice (seq not above lastSeq) and ignored. */
  readonly duplicateEvents: number;
  /** Engine clock minus local clock, from the latest status, so charts follow the engine's time. */
  readonly clockOffsetMs: number;
}

interface MutableDevice {
  address: string;
  queries: number;
  firstSeen: number;
  lastSeen: number;
  colorIndex: number;
}

/** Holds the dashboard state; feed it with the methods below and call `flush(now)` once per frame. */
export class DashboardState implements MinuteCounts {
  readonly ring = new Ring<QueryEvent>(LOG_RING_SIZE);
  private readonly minutes = new Map<number, Map<string, number>>();
  private readonly devices = new Map<string, MutableDevice>();
  /** Survives snapshots so a device keeps its color after a reconnect. */
  private readonly colors = new Map<string, number>();
  private readonly info = new Map<string, DeviceInfo>();
  /**
   * Device updates that arrived while a snapshot was asked for: the snapshot may have been taken before them,
   * so they are applied again on top of it.
   */
  private readonly infoSinceSnapshot = new Map<string, DeviceInfo>();
  private readonly fresh = new NewDevices();
  private readonly warnings = new Map<string, EngineWarning>();
  private queue: QueryEvent[] = [];
  private status: EngineStatus | null = null;
  private captures: CaptureInfo[] = [];
  private connection: ConnectionState = 'connecting';
  private error = '';
  private loaded = false;
  private loading = false;
  private lastSeq = 0;
  private retainMinutes = 0;
  private oldestMinute: number | undefined;
  private lastPruneMinute = -1;
  private dropped = 0;
  private duplicates = 0;
  private resyncWanted = false;
  private clockOffsetMs = 0;
  private other = { clients: 0, queries: 0 };
  private dirty = true;
  private version = 0;
  private ringVersion = 0;
  private bucketsVersion = 0;
  private deviceSetVersion = 0;
  /** True when device totals changed since the last view; otherwise the view keeps the same array. */
  private devicesChanged = true;
  /** Likewise for the device details and the new-device highlights. */
  private infoChanged = true;
  private freshChanged = true;
  private view: DashboardView;

  constructor() {
    this.view = this.buildView();
  }

  /** Marks a snapshot as requested: live events wait in the queue until `applySnapshot`. */
  beginSnapshot(): void {
    this.loading = true;
    this.infoSinceSnapshot.clear();
    this.dirty = true;
  }

  /** Replaces the state with `snapshot`; queued live events with a higher seq are folded on the next flush. */
  applySnapshot(snapshot: Snapshot, retainMinutes: number, localNow: number): void {
    this.loaded = true;
    this.loading = false;
    this.resyncWanted = false;
    this.error = '';
    this.retainMinutes = retainMinutes;
    this.lastSeq = snapshot.lastSeq;
    this.minutes.clear();
    this.oldestMinute = undefined;
    this.lastPruneMinute = -1;
    for (const bucket of snapshot.minutes) {
      this.minutes.set(bucket.minute, new Map(Object.entries(bucket.counts)));
      this.noteMinute(bucket.minute);
    }
    this.devices.clear();
    const byFirstSeen = [...snapshot.clients].sort(
      (a, b) => a.firstSeen - b.firstSeen || a.address.localeCompare(b.address),
    );
    for (const c of byFirstSeen) {
      this.devices.set(c.address, {
        address: c.address,
        queries: c.queries,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
        colorIndex: this.colorFor(c.address),
      });
    }
    this.other = { ...(snapshot.otherClients ?? { clients: 0, queries: 0 }) };
    this.info.clear();
    for (const d of snapshot.devices) this.info.set(d.address, d);
    for (const d of this.infoSinceSnapshot.values()) this.info.set(d.address, d);
    this.infoSinceSnapshot.clear();
    this.infoChanged = true;
    this.ring.clear();
    for (const e of snapshot.recent) this.ring.push(e);
    this.ringVersion++;
    this.bucketsVersion++;
    this.devicesChanged = true;
    this.deviceSetVersion++;
    this.captures = [...snapshot.captures];
    this.applyStatus(snapshot.status, localNow);
    this.dirty = true;
  }

  /** Adds a page of clients the snapshot left out (device:list); those already held are kept as they are. */
  addClients(page: ClientPage): void {
    for (const c of page.clients) {
      if (this.devices.has(c.address)) continue;
      this.devices.set(c.address, { ...c, colorIndex: this.colorFor(c.address) });
      this.other.clients = Math.max(0, this.other.clients - 1);
      this.other.queries = Math.max(0, this.other.queries - c.queries);
    }
    this.deviceSetVersion++;
    for (const d of page.devices) if (!this.info.has(d.address)) this.info.set(d.address, d);
    this.devicesChanged = true;
    this.infoChanged = true;
    this.dirty = true;
  }

  /** Queues a live batch; a batch that reports dropped events makes `takeResync()` return true. */
  pushBatch(batch: QueryBatch): void {
    for (const e of batch.events) this.queue.push(e);
    if (batch.dropped > 0) {
      this.dropped += batch.dropped;
      this.resyncWanted = true;
    }
    if (this.queue.length > MAX_QUEUED_EVENTS) {
      // Holding more would grow without bound while frames stall; a fresh snapshot covers the gap.
      this.dropped += this.queue.length;
      this.queue = [];
      this.resyncWanted = true;
    }
    this.dirty = true;
  }

  /** Takes a status pushed by the engine (about once a second). */
  setStatus(status: EngineStatus, localNow: number): void {
    this.applyStatus(status, localNow);
    this.dirty = true;
  }

  /** Takes a device's details pushed by the engine (first seen, or something about it changed). */
  setDevice(device: DeviceInfo): void {
    this.info.set(device.address, device);
    if (this.loading) this.infoSinceSnapshot.set(device.address, device);
    this.infoChanged = true;
    this.dirty = true;
  }

  /** Records a warning pushed between status updates. */
  addWarning(warning: EngineWarning): void {
    this.warnings.set(warning.code, warning);
    this.dirty = true;
  }

  setConnection(state: ConnectionState): void {
    if (state === this.connection) return;
    this.connection = state;
    this.dirty = true;
  }

  /** Remembers the last problem talking to the engine ("" clears it). */
  setError(message: string): void {
    if (message === this.error) return;
    this.error = message;
    if (message !== '') this.loading = false;
    this.dirty = true;
  }

  /** True once after a batch reported dropped events or the queue overflowed: take a new snapshot. */
  takeResync(): boolean {
    const wanted = this.resyncWanted;
    this.resyncWanted = false;
    return wanted;
  }

  /**
   * Folds queued events into buckets, totals and the ring, ignoring seq ≤ lastSeq, and prunes buckets older
   * than the retained range. Returns the events applied. The view changes only if something did.
   */
  flush(now: number): readonly QueryEvent[] {
    const applied: QueryEvent[] = [];
    if (this.loaded && !this.loading && this.queue.length > 0) {
      const queue = this.queue;
      this.queue = [];
      for (const e of queue) {
        if (e.seq <= this.lastSeq) {
          this.duplicates++;
          continue;
        }
        this.lastSeq = e.seq;
        this.fold(e, now);
        applied.push(e);
      }
      if (applied.length > 0) {
        this.ringVersion++;
        this.bucketsVersion++;
        this.devicesChanged = true;
        this.dirty = true;
      }
    }
    this.prune(now);
    if (this.fresh.size > 0 && this.fresh.expire(now)) {
      this.freshChanged = true;
      this.dirty = true;
    }
    if (this.dirty) {
      this.dirty = false;
      this.version++;
      this.view = this.buildView();
    }
    return applied;
  }

  getView(): DashboardView {
    return this.view;
  }

  get(minute: number): ReadonlyMap<string, number> | undefined {
    return this.minutes.get(minute);
  }

  firstMinute(): number | undefined {
    return this.oldestMinute;
  }

  /** Number of minute buckets held (for tests and diagnostics). */
  get bucketCount(): number {
    return this.minutes.size;
  }

  private fold(e: QueryEvent, now: number): void {
    const minute = minuteOf(e.ts);
    let bucket = this.minutes.get(minute);
    if (!bucket) {
      bucket = new Map();
      this.minutes.set(minute, bucket);
      this.noteMinute(minute);
    }
    bucket.set(e.client, (bucket.get(e.client) ?? 0) + 1);
    const device = this.devices.get(e.client);
    if (device) {
      device.queries++;
      device.lastSeen = Math.max(device.lastSeen, e.ts);
      device.firstSeen = Math.min(device.firstSeen, e.ts);
    } else {
      this.devices.set(e.client, {
        address: e.client,
        queries: 1,
        firstSeen: e.ts,
        lastSeen: e.ts,
        colorIndex: this.colorFor(e.client),
      });
      // A device the snapshot did not have, appearing while the page watches.
      this.fresh.add(e.client, now);
      this.freshChanged = true;
      this.deviceSetVersion++;
    }
    this.ring.push(e);
  }

  private noteMinute(minute: number): void {
    if (this.oldestMinute === undefined || minute < this.oldestMinute) this.oldestMinute = minute;
  }

  private colorFor(address: string): number {
    let index = this.colors.get(address);
    if (index === undefined) {
      index = this.colors.size;
      this.colors.set(address, index);
    }
    return index;
  }

  private applyStatus(status: EngineStatus, localNow: number): void {
    this.status = status;
    this.clockOffsetMs = status.now - localNow;
    this.warnings.clear();
    for (const w of status.warnings) this.warnings.set(w.code, w);
    const capture = status.capture;
    if (capture) {
      const i = this.captures.findIndex((c) => c.id === capture.id);
      if (i >= 0) this.captures[i] = capture;
      else this.captures.push(capture);
    }
  }

  /** Drops buckets outside the retained range; runs at most once per minute of `now`. */
  private prune(now: number): void {
    const current = minuteOf(now);
    if (current === this.lastPruneMinute) return;
    this.lastPruneMinute = current;
    const cutoffByRange = this.retainMinutes > 0 ? current - (this.retainMinutes - 1) * MINUTE_MS : -Infinity;
    const cutoff = Math.max(cutoffByRange, current - (MAX_MINUTE_BUCKETS - 1) * MINUTE_MS);
    if (this.oldestMinute === undefined || this.oldestMinute >= cutoff) return;
    let oldest: number | undefined;
    for (const minute of this.minutes.keys()) {
      if (minute < cutoff) this.minutes.delete(minute);
      else if (oldest === undefined || minute < oldest) oldest = minute;
    }
    this.oldestMinute = oldest;
    this.bucketsVersion++;
    this.dirty = true;
  }

  private buildView(): DashboardView {
    const previous = this.view as DashboardView | undefined;
    const devices =
      previous && !this.devicesChanged
        ? previous.devices
        : [...this.devices.values()]
            .map((d) => ({ ...d }))
            .sort((a, b) => b.queries - a.queries || a.address.localeCompare(b.address));
    this.devicesChanged = false;
    const deviceInfo = previous && !this.infoChanged ? previous.deviceInfo : new Map(this.info);
    this.infoChanged = false;
    const newDevices = previous && !this.freshChanged ? previous.newDevices : this.fresh.current();
    this.freshChanged = false;
    let total = this.other.queries;
    for (const d of devices) total += d.queries;
    return {
      version: this.version,
      loaded: this.loaded,
      loading: this.loading,
      connection: this.connection,
      error: this.error,
      status: this.status,
      captures: [...this.captures],
      devices,
      deviceSetVersion: this.deviceSetVersion,
      deviceInfo,
      newDevices,
      warnings: [...this.warnings.values()].sort((a, b) => b.ts - a.ts),
      totalQueries: total,
      otherDevices: { ...this.other },
      lastSeq: this.lastSeq,
      ringVersion: this.ringVersion,
      bucketsVersion: this.bucketsVersion,
      droppedEvents: this.dropped,
      duplicateEvents: this.duplicates,
      clockOffsetMs: this.clockOffsetMs,
    };
  }
}
