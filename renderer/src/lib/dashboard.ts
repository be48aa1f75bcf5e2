/**
 * Connects a `Bridge` to a `CaptureStore`: subscribes to the live events, takes a snapshot whenever the
 * stream (re)opens or reports a gap, and folds what arrives into the store once per animation frame.
 */
import type { RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import type { Bridge } from './bridge';
import { CaptureStore, type StoreView } from './capture-store';
import { MIN_SNAPSHOT_MINUTES } from './chart-series';
import { createFrameScheduler, type FrameScheduler, type FrameTimers } from './frame-scheduler';

/** Clock and timers, injectable so tests run on synthetic time. */
export interface DashboardClock extends FrameTimers {
  now(): number;
}

/** The browser's clock and frames. */
export function browserClock(): DashboardClock {
  return {
    now: () => Date.now(),
    requestFrame: (cb) => window.requestAnimationFrame(() => cb()),
    cancelFrame: (h) => window.cancelAnimationFrame(h),
    setTimeout: (cb, ms) => window.setTimeout(cb, ms),
    clearTimeout: (h) => window.clearTimeout(h),
  };
}

/** Shortest pause between two snapshots taken because of gaps, so a struggling engine is not hammered. */
const RESYNC_MIN_INTERVAL_MS = 2_000;
/** Retry delay after a failed snapshot while the stream is open. */
const SNAPSHOT_RETRY_MS = 3_000;

/** Owns the store for one page; `start()` begins streaming and returns the function that stops it. */
export class Dashboard {
  readonly store = new CaptureStore();
  private readonly listeners = new Set<() => void>();
  private scheduler: FrameScheduler | null = null;
  private retainMinutes = MIN_SNAPSHOT_MINUTES;
  private inFlight = false;
  private again = false;
  private lastSnapshotAt = -Infinity;
  private retryTimer: number | null = null;
  private running = false;

  constructor(
    private readonly bridge: Bridge,
    private readonly clock: DashboardClock,
  ) {}

  /** Which transport is behind the bridge, for wording only. */
  get transport(): Bridge['transport'] {
    return this.bridge.transport;
  }

  start(): () => void {
    this.running = true;
    const scheduler = createFrameScheduler(() => this.onFrame(), this.clock);
    this.scheduler = scheduler;
    const offs = [
      this.bridge.on('query:batch', (b) => {
        this.store.pushBatch(b);
        scheduler.schedule();
      }),
      this.bridge.on('engine:status', (s) => {
        this.store.setStatus(s, this.clock.now());
        scheduler.schedule();
      }),
      this.bridge.on('engine:warning', (w) => {
        this.store.addWarning(w);
        scheduler.schedule();
      }),
      this.bridge.on('device:update', (d) => {
        this.store.setDevice(d);
        scheduler.schedule();
      }),
      this.bridge.onConnection((state) => {
        this.store.setConnection(state);
        // A (re)opened stream only carries what happens from now on: take a snapshot for the rest.
        if (state === 'open') void this.snapshot();
        scheduler.schedule();
      }),
    ];
    return () => {
      this.running = false;
      for (const off of offs) off();
      if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      scheduler.dispose();
      if (this.scheduler === scheduler) this.scheduler = null;
    };
  }

  /** For useSyncExternalStore: called after every change of the view. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): StoreView => this.store.getView();

  /** Makes later snapshots cover at least `minutes` minutes; takes one now if more is needed than held. */
  ensureRetained(minutes: number): void {
    const wanted = Math.max(MIN_SNAPSHOT_MINUTES, minutes);
    if (wanted <= this.retainMinutes) return;
    this.retainMinutes = wanted;
    void this.snapshot();
  }

  /** Calls the engine; for requests that are not part of the stream (capture, list, export). */
  invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
    return this.bridge.invoke(channel, args);
  }

  /**
   * Names the device at `address` ("" removes the name) and shows the engine's answer at once. Rejects with
   * the engine's message (e.g. a name it refuses) for the user.
   */
  async renameDevice(address: string, name: string): Promise<void> {
    const device = await this.bridge.invoke('device:rename', { address, name });
    this.store.setDevice(device);
    this.scheduler?.schedule();
  }

  /** Fetches the status now (after Start/Stop) instead of waiting for the next push. */
  async refreshStatus(): Promise<void> {
    const status = await this.bridge.invoke('status:get', undefined);
    this.store.setStatus(status, this.clock.now());
    this.scheduler?.schedule();
  }

  /** Takes a snapshot; concurrent calls collapse into one more after the current one. */
  async snapshot(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.lastSnapshotAt = this.clock.now();
    const retain = this.retainMinutes;
    this.store.beginSnapshot();
    this.scheduler?.schedule();
    try {
      const snap = await this.bridge.invoke('capture:snapshot', { rangeMinutes: retain });
      if (!this.running) return;
      this.store.applySnapshot(snap, retain, this.clock.now());
    } catch (err) {
      this.store.setError(`Could not load the capture: ${err instanceof Error ? err.message : String(err)}`);
      if (this.running && this.retryTimer === null) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          if (this.store.getView().connection === 'open') void this.snapshot();
        }, SNAPSHOT_RETRY_MS);
      }
    } finally {
      this.inFlight = false;
      this.scheduler?.schedule();
    }
    if (this.again && this.running) {
      this.again = false;
      await this.snapshot();
    }
  }

  private onFrame(): void {
    this.store.flush(this.clock.now());
    if (this.store.takeResync()) {
      const wait = this.lastSnapshotAt + RESYNC_MIN_INTERVAL_MS - this.clock.now();
      if (wait <= 0) void this.snapshot();
      else if (this.retryTimer === null) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          void this.snapshot();
        }, wait);
      }
    }
    for (const l of this.listeners) l();
  }
}
