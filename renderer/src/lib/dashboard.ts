/**
 * Connects a `Bridge` to a `DashboardState`: subscribes to the live events, takes a snapshot whenever the
 * stream (re)opens or reports a gap, and folds what arrives into the dashboard state once per animation frame.
 */
import type { ImportProgress } from '@shared/import';
import type { Events, RequestArgs, RequestChannel, RequestResult, UiCommand } from '@shared/api';
import type { ThemeSetting } from '@shared/theme';
import type { RuleChange, RuleInput } from '@shared/watch/messages';
import type { Bridge } from './bridge';
import { DashboardState, type DashboardView } from './dashboard-state';
import { MIN_SNAPSHOT_MINUTES } from './chart-series';
import { createFrameScheduler, type FrameScheduler, type FrameTimers } from './frame-scheduler';
import { WatchStore, type WatchView } from './watch-store';

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
/**
 * The engine pushes the watchlist report when queries change it; rates also drift as the recording time
 * grows without new queries, so the page asks again this often.
 */
export const WATCH_REFRESH_MS = 30_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Owns the dashboard state for one page; `start()` begins streaming and returns the function that stops it. */
export class Dashboard {
  readonly state = new DashboardState();
  readonly watch = new WatchStore();
  private readonly listeners = new Set<() => void>();
  private scheduler: FrameScheduler | null = null;
  private retainMinutes = MIN_SNAPSHOT_MINUTES;
  private inFlight = false;
  private again = false;
  private lastSnapshotAt = -Infinity;
  private retryTimer: number | null = null;
  private running = false;
  private watchAskedAt = -Infinity;
  /** Whether the last status said the engine was still reading its earlier captures. */
  private historyLoading = false;

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
        this.state.pushBatch(b);
        scheduler.schedule();
      }),
      this.bridge.on('engine:status', (s) => {
        this.state.setStatus(s, this.clock.now());
        // The earlier captures are all read now: the snapshot taken while they were read lacks some.
        const loading = s.history?.state === 'loading';
        if (this.historyLoading && !loading) void this.snapshot();
        this.historyLoading = loading;
        scheduler.schedule();
      }),
      this.bridge.on('engine:warning', (w) => {
        this.state.addWarning(w);
        scheduler.schedule();
      }),
      this.bridge.on('device:update', (d) => {
        this.state.setDevice(d);
        scheduler.schedule();
      }),
      this.bridge.on('watch:report', (r) => {
        this.watch.setReport(r);
        this.watchAskedAt = this.clock.now();
        scheduler.schedule();
      }),
      // A finished import is a new capture: take a snapshot so it shows with its queries.
      this.bridge.on('import:progress', (p) => {
        if (p.state === 'done') void this.snapshot();
      }),
      this.bridge.on('watch:alert', (a) => {
        this.watch.addAlert(a, this.clock.now());
        scheduler.schedule();
      }),
      this.bridge.onConnection((state) => {
        this.state.setConnection(state);
        // A (re)opened stream only carries what happens from now on: take a snapshot for the rest.
        if (state === 'open') {
          void this.snapshot();
          void this.loadWatch();
        }
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

  getView = (): DashboardView => this.state.getView();

  /** Makes later snapshots cover at least `minutes` minutes; takes one now if more is needed than held. */
  ensureRetained(minutes: number): void {
    const wanted = Math.max(MIN_SNAPSHOT_MINUTES, minutes);
    if (wanted <= this.retainMinutes) return;
    this.retainMinutes = wanted;
    void this.snapshot();
  }

  /** Commands from the desktop app's menu (Edit → Find…); returns the unsubscribe function. */
  onUiCommand(listener: (command: UiCommand) => void): () => void {
    return this.bridge.on('ui:command', listener);
  }

  /** The colour theme saved in any window or tab; returns the unsubscribe function. */
  onThemeChange(listener: (setting: ThemeSetting) => void): () => void {
    return this.bridge.on('theme:change', listener);
  }

  /** Export progress, and the desktop File menu asking for an export; returns the unsubscribe function. */
  onExport<K extends 'export:progress' | 'export:menu'>(
    channel: K,
    listener: (payload: Events[K]) => void,
  ): () => void {
    return this.bridge.on(channel, listener);
  }

  /** How each import goes (this page's uploads, and every import the engine runs); returns the unsubscribe function. */
  onImportProgress(listener: (progress: ImportProgress) => void): () => void {
    return this.bridge.on('import:progress', listener);
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
    this.state.setDevice(device);
    this.scheduler?.schedule();
  }

  getWatchView = (): WatchView => this.watch.getView();

  /** Loads the watchlist report, rules and settings; a failure shows in the watchlist, not as a page error. */
  async loadWatch(): Promise<void> {
    this.watchAskedAt = this.clock.now();
    const results = await Promise.allSettled([
      this.bridge.invoke('watch:report', undefined).then((r) => this.watch.setReport(r)),
      this.bridge.invoke('watch:rules', undefined).then((r) => this.watch.setRules(r)),
      this.bridge.invoke('watch-settings:get', undefined).then((s) => this.watch.setSettings(s)),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    this.watch.setError(failed ? `Could not load the watchlist: ${message(failed.reason)}` : '');
    this.scheduler?.schedule();
  }

  /** Switches a rule on or off or sets its blocking; rejects with the engine's message. */
  async updateRule(id: string, change: RuleChange): Promise<void> {
    this.watch.upsertRule(await this.bridge.invoke('watch:update', { id, ...change }));
    this.scheduler?.schedule();
  }

  /** Adds or replaces one of the user's rules; rejects with the engine's message (e.g. a bad pattern). */
  async saveRule(input: RuleInput): Promise<void> {
    this.watch.upsertRule(await this.bridge.invoke('watch:save-rule', input));
    this.scheduler?.schedule();
  }

  async removeRule(id: string): Promise<void> {
    await this.bridge.invoke('watch:remove-rule', { id });
    this.watch.setRules(await this.bridge.invoke('watch:rules', undefined));
    this.scheduler?.schedule();
  }

  /** Adds a marker now (engine time) and shows it with its effects at once. */
  async addMarker(label: string): Promise<void> {
    await this.bridge.invoke('marker:add', { label });
    await this.refreshWatchReport();
  }

  async removeMarker(id: string): Promise<void> {
    await this.bridge.invoke('marker:remove', { id });
    await this.refreshWatchReport();
  }

  async setRouterModel(model: string): Promise<void> {
    this.watch.setSettings(await this.bridge.invoke('watch-settings:router-model', { model }));
    this.scheduler?.schedule();
  }

  /** Saves the correlation's look-back window and shows the report computed with it. */
  async setCorrelationWindow(seconds: number): Promise<void> {
    this.watch.setSettings(await this.bridge.invoke('watch-settings:correlation-window', { seconds }));
    await this.refreshWatchReport();
  }

  /** Takes an alert toast off the screen. */
  dismissToast(id: number): void {
    this.watch.dismiss(id);
    this.scheduler?.schedule();
  }

  /** Asks for the watchlist report now. Rejects with the engine's message. */
  async refreshWatchReport(): Promise<void> {
    this.watchAskedAt = this.clock.now();
    this.watch.setReport(await this.bridge.invoke('watch:report', undefined));
    this.watch.setError('');
    this.scheduler?.schedule();
  }

  /** Fetches the status now (after Start/Stop) instead of waiting for the next push. */
  async refreshStatus(): Promise<void> {
    const status = await this.bridge.invoke('status:get', undefined);
    this.state.setStatus(status, this.clock.now());
    this.scheduler?.schedule();
  }

  /** Fetches the next page of the clients the snapshot left out (the least busy ones) into the devices. */
  async moreDevices(): Promise<void> {
    const held = this.state.getView().devices.length;
    try {
      const page = await this.bridge.invoke('device:list', { offset: held, limit: 1000 });
      if (!this.running) return;
      this.state.addClients(page);
    } catch (err) {
      this.state.setError(`Could not load more devices: ${message(err)}`);
    }
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
    this.state.beginSnapshot();
    this.scheduler?.schedule();
    try {
      const snap = await this.bridge.invoke('capture:snapshot', { rangeMinutes: retain });
      if (!this.running) return;
      this.state.applySnapshot(snap, retain, this.clock.now());
      // Taken while the engine still reads its earlier captures: ask again once a status says they are read,
      // even if no status pushed before this answer said "loading" (a page that connects mid-way).
      if (snap.status.history?.state === 'loading') this.historyLoading = true;
      void this.loadWatchMinutes(retain);
    } catch (err) {
      this.state.setError(`Could not load the capture: ${err instanceof Error ? err.message : String(err)}`);
      if (this.running && this.retryTimer === null) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          if (this.state.getView().connection === 'open') void this.snapshot();
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

  /** The per-minute watched counts for the charts, over the same range as the snapshot. */
  private async loadWatchMinutes(rangeMinutes: number): Promise<void> {
    try {
      const w = await this.bridge.invoke('watch:minutes', { rangeMinutes });
      if (!this.running) return;
      // Events applied while the answer was on its way are counted again from the ring (oldest first).
      this.watch.buckets.apply(w, this.state.ring.newestFirst((e) => e.seq > w.lastSeq).reverse());
      this.watch.touchBuckets();
    } catch (err) {
      this.watch.setError(`Could not load the watchlist counts: ${message(err)}`);
    }
    this.scheduler?.schedule();
  }

  private onFrame(): void {
    const now = this.clock.now();
    const applied = this.state.flush(now);
    if (this.watch.buckets.fold(applied)) this.watch.touchBuckets();
    this.watch.expire(now);
    if (
      this.running &&
      now - this.watchAskedAt >= WATCH_REFRESH_MS &&
      this.state.getView().connection === 'open'
    ) {
      this.watchAskedAt = now;
      this.refreshWatchReport().catch((err: unknown) =>
        this.watch.setError(`Could not refresh the watchlist: ${message(err)}`),
      );
    }
    if (this.state.takeResync()) {
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
