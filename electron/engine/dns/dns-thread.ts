import { Worker } from 'node:worker_threads';
import { withRetired, ZERO_COUNTERS } from './counters';
import type {
  DnsThreadHealth,
  EngineCounters,
  ListenerStatus,
  UpstreamStatus,
  WarningCode,
} from '@shared/events';
import type { ActiveRule } from '@shared/watch/rules';
import type { ExchangeRecord, ExchangeSink } from '../capture/types';
import { realClock, type Clock } from '../clock';
import type { ListenerFailure } from './forwarder';
import { readRecordBatch } from './record-batch';
import type {
  DnsThreadConfig,
  DnsThreadData,
  DnsThreadMessage,
  DnsThreadRequests,
  DnsThreadStatus,
} from './thread-messages';

/** A DNS thread that dies is started again after this long (the household waits at most about this). */
export const RESTART_DELAY_MS = 250;
/** An idle thread sends no batches: a status older than this is asked for again when it is read. */
const STATUS_FRESH_MS = 1000;
/** running() gives up after this long. */
const RUNNING_WAIT_MS = 10_000;

export interface DnsThreadOptions {
  readonly config: DnsThreadConfig;
  /** Where the records of every batch go, one by one, on the main thread. */
  readonly sink: ExchangeSink;
  readonly onWarning: (code: WarningCode, message: string) => void;
  /** The built worker entry; default dns-worker.js beside the bundle's entries (out/main/). */
  readonly workerUrl?: URL;
  readonly clock?: Clock;
}

/**
 * The forwarder on its own thread (dns-worker.ts), seen from the main thread with the forwarder's own
 * methods: listen, close, and the status as the thread last reported it (with every batch and reply). A
 * thread that dies (an uncaught exception, process.exit) is logged and started again within
 * RESTART_DELAY_MS, listening again if it was; its counters carry over.
 */
export class DnsThread {
  private worker: Worker | null = null;
  private taken = new Int32Array(new SharedArrayBuffer(4));
  private last: DnsThreadStatus;
  /** Counters and drops of threads that died, so the totals keep counting. */
  private retired: EngineCounters = ZERO_COUNTERS;
  private droppedBefore = 0;
  private crashes = 0;
  private crashReason = '';
  private crashedAt = 0;
  private rules: readonly ActiveRule[];
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private listening = false;
  private closing = false;
  private restartTimer: unknown = null;
  private statusAt = 0;
  private statusAsked = false;
  private readonly clock: Clock;
  private readonly workerUrl: URL;

  constructor(private readonly opts: DnsThreadOptions) {
    this.clock = opts.clock ?? realClock;
    this.rules = opts.config.rules;
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.last = { listeners: [], failures: [], upstreams: [], counters: ZERO_COUNTERS, dropped: 0 };
    this.spawn();
  }

  /** Binds the listeners on the DNS thread, now and after every restart. Failures are in the result. */
  async listen(): Promise<ListenerStatus[]> {
    this.listening = true;
    const statuses = await this.request('listen', null);
    this.setStatus(await this.request('status', null));
    return [...statuses];
  }

  listenerStatus(): ListenerStatus[] {
    return [...this.current().listeners];
  }

  listenerFailures(): ListenerFailure[] {
    return [...this.current().failures];
  }

  upstreamStatus(): UpstreamStatus[] {
    return [...this.current().upstreams];
  }

  counters(): EngineCounters {
    return withRetired(this.current().counters, this.retired);
  }

  health(): DnsThreadHealth {
    return {
      restarts: this.crashes,
      lastCrash: this.crashReason,
      lastCrashAt: this.crashedAt,
      dropped: this.droppedBefore + this.last.dropped,
    };
  }

  /** The watchlist's rules changed: the thread classifies with these from now on (and after a restart). */
  setRules(rules: readonly ActiveRule[]): void {
    this.rules = rules;
    this.request('rules', rules).catch(() => undefined);
  }

  /** Tests only: makes the thread die the way `how` says. */
  crash(how: 'throw' | 'exit'): Promise<void> {
    return this.request('test:crash', how).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Resolves once a thread runs and, if listen() was called, has answered since. Rejects after 10 s. */
  async running(): Promise<void> {
    const end = this.clock.now() + RUNNING_WAIT_MS;
    while (this.worker === null || this.restartTimer !== null) {
      if (this.clock.now() > end) throw new Error('the DNS thread did not start again');
      await new Promise<void>((r) => this.clock.setTimeout(r, 10));
    }
    if (this.listening) this.setStatus(await this.request('status', null));
  }

  /** Stops listening, waits up to `drainMs` for what is being forwarded (still recorded), ends the thread. */
  async close(drainMs = 0): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== null) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (worker === null) return;
    try {
      this.setStatus(await this.request('close', { drainMs }));
    } catch {
      // Died while closing: nothing more to hand over.
    }
    this.worker = null;
    await worker.terminate();
  }

  private spawn(): void {
    const consumed = new SharedArrayBuffer(4);
    this.taken = new Int32Array(consumed);
    const data: DnsThreadData = { config: { ...this.opts.config, rules: this.rules }, consumed };
    const worker = new Worker(this.workerUrl, { workerData: data, name: 'dns' });
    this.worker = worker;
    worker.on('message', (msg: DnsThreadMessage) => this.receive(msg));
    let error = '';
    worker.on('error', (err) => (error = err.message));
    worker.on('exit', (code) => this.exited(worker, error || `exit code ${code}`));
  }

  private receive(msg: DnsThreadMessage): void {
    switch (msg.type) {
      case 'records': {
        this.setStatus(msg.status);
        let recs: ExchangeRecord[];
        try {
          recs = readRecordBatch(msg.buffer, msg.count);
        } catch (err) {
          this.opts.onWarning(
            'journal-error',
            `DNS thread: an unreadable record batch was skipped (${String(err)})`,
          );
          recs = [];
        }
        for (const rec of recs) this.opts.sink.record(rec);
        Atomics.add(this.taken, 0, 1);
        return;
      }
      case 'warning':
        this.opts.onWarning(msg.code, msg.message);
        return;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new Error(msg.error));
        return;
      }
    }
  }

  /**
   * The status as last reported; when that is older than STATUS_FRESH_MS (an idle thread sends no
   * batches), a fresh one is asked for in the background, so the next read has it. No timer runs.
   */
  private current(): DnsThreadStatus {
    if (!this.statusAsked && this.worker !== null && this.clock.now() - this.statusAt > STATUS_FRESH_MS) {
      this.statusAsked = true;
      this.request('status', null).then(
        (st) => {
          this.statusAsked = false;
          this.setStatus(st);
        },
        () => (this.statusAsked = false),
      );
    }
    return this.last;
  }

  private setStatus(status: DnsThreadStatus): void {
    this.last = status;
    this.statusAt = this.clock.now();
  }

  private exited(worker: Worker, why: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error(`the DNS thread stopped (${why})`));
    this.pending.clear();
    if (this.closing) return;
    // What it counted stays counted; what it was still forwarding is lost with it.
    this.retired = { ...this.counters(), inFlight: 0 };
    this.droppedBefore += this.last.dropped;
    this.last = { ...this.last, counters: ZERO_COUNTERS, dropped: 0 };
    this.crashes++;
    this.crashReason = why;
    this.crashedAt = this.clock.now();
    this.opts.onWarning('dns-thread', `the DNS thread stopped (${why}); starting it again`);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      if (this.closing) return;
      this.spawn();
      if (this.listening) void this.relisten();
    }, RESTART_DELAY_MS);
  }

  private async relisten(): Promise<void> {
    try {
      const statuses = await this.request('listen', null);
      this.setStatus(await this.request('status', null));
      const failed = statuses.filter((s) => s.state === 'error');
      if (failed.length === 0)
        this.opts.onWarning('dns-thread', 'the DNS thread was started again and listens');
    } catch {
      // Died again: exited() schedules the next start.
    }
  }

  private request<K extends keyof DnsThreadRequests>(
    name: K,
    arg: DnsThreadRequests[K]['arg'],
  ): Promise<DnsThreadRequests[K]['result']> {
    const worker = this.worker;
    if (worker === null) return Promise.reject(new Error('the DNS thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ type: 'request', id, name, arg });
    });
  }
}

/**
 * out/main/dns-worker.js: beside the entry that runs this code, or one folder up when the bundler put this
 * code in a chunk shared by several entries (out/main/chunks/).
 */
function defaultWorkerUrl(): URL {
  const here = new URL('.', import.meta.url);
  return new URL(here.pathname.endsWith('/chunks/') ? '../dns-worker.js' : './dns-worker.js', here);
}
