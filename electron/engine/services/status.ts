import type { EngineStatus } from '@shared/events';
import type { Clock } from '../clock';
import { APP_VERSION } from '../version';
import type { AlertsService } from './alerts';
import type { CaptureService } from './capture';
import type { DataFolderLock } from './data-folder';
import type { DnstapService } from './dnstap';
import type { DnstapInService } from './dnstap-in';
import type { EngineEmitter } from './events';
import type { SettingsService } from './settings';
import { Ticker } from './ticker';
import { Warnings } from './warnings';

const STATUS_INTERVAL_MS = 1000;

/** Where the status's parts come from; every service exists once the engine is composed. */
export interface StatusSources {
  readonly capture: Pick<CaptureService, 'current' | 'qps' | 'storage' | 'history'>;
  readonly settings: Pick<SettingsService, 'forwarder' | 'counters' | 'options' | 'dnsThread'>;
  readonly dnstapIn: Pick<DnstapInService, 'status'>;
  readonly dnstapOut: Pick<DnstapService, 'dropped'>;
  readonly alerts: Pick<AlertsService, 'problems'>;
}

/**
 * The engine's status and warnings: assembles the status from the services, pushes it once a second while
 * someone listens (or while the data folder's lock is still to be taken, retried on the same tick) and on
 * every change the engine reports.
 */
export class StatusService {
  readonly warnings: Warnings;
  private readonly ticker: Ticker;
  private sources: StatusSources | null = null;
  private active = false;

  constructor(
    private readonly events: EngineEmitter,
    private readonly clock: Clock,
    private readonly lock: DataFolderLock,
  ) {
    this.warnings = new Warnings(events, clock);
    this.ticker = new Ticker(
      clock,
      STATUS_INTERVAL_MS,
      () => this.active && (events.has('status') || lock.problem !== ''),
      () => {
        lock.retry();
        this.emit();
      },
    );
  }

  /** The services the status reads; set once they exist (they need `warnings` first). */
  connect(sources: StatusSources): void {
    this.sources = sources;
  }

  /** Whether the engine listens: the once-a-second status runs only then. */
  set listening(on: boolean) {
    this.active = on;
    this.ticker.sync();
  }

  get listening(): boolean {
    return this.active;
  }

  status(): EngineStatus {
    const s = this.sources;
    if (s === null) throw new Error('status read before the engine was composed');
    const forwarder = s.settings.forwarder;
    const dnstapIn = s.dnstapIn.status();
    const problems = s.alerts.problems();
    const dnsThread = s.settings.dnsThread();
    return {
      version: APP_VERSION,
      capture: s.capture.current(),
      listeners: forwarder.listenerStatus(),
      upstreams: forwarder.upstreamStatus(),
      counters: s.settings.counters(),
      qps: s.capture.qps(),
      warnings: this.warnings.list(),
      storage: this.lock.storage(s.capture.storage()),
      dnstapDropped: s.dnstapOut.dropped(),
      history: s.capture.history(),
      ...(dnstapIn ? { dnstapIn } : {}),
      // Only when a target fails (absent otherwise, like dnstapDropped without outputs).
      ...(problems.length > 0 ? { alertsFailing: problems } : {}),
      ...(dnsThread ? { dnsThread } : {}),
      dataDir: s.settings.options.dataDir,
      now: this.clock.now(),
    };
  }

  /** Pushes the status to its listeners, if there are any. */
  readonly emit = (): void => {
    if (this.events.has('status')) this.events.emit('status', this.status());
  };

  onStatus(listener: (status: EngineStatus) => void): () => void {
    const off = this.events.on('status', listener);
    this.ticker.sync();
    return () => {
      off();
      this.ticker.sync();
    };
  }

  /** Releases the data folder's lock (the engine is closed). */
  releaseLock(): Promise<void> {
    return this.lock.release();
  }
}
