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
import {
  NO_JOURNAL_STORAGE,
  type JournalEnd,
  type JournalSpec,
  type JournalStorage,
} from '../capture/capture-journal';
import type { ExchangeRecord, ExchangeSink } from '../capture/types';
import { realClock, type Clock } from '../clock';
import type { ListenerFailure } from './forwarder';
import { readRecordBatch, RecordBatchWriter } from './record-batch';
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
/**
 * Bytes of observed exchanges held for the DNS thread (while it is started again); beyond this they go to
 * the sink unjournaled: analysed, but not recorded.
 */
const MAX_OBSERVED_WAITING = 1 << 20;

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
 *
 * The thread also writes the running capture's journal (startJournal, stopJournal): records arrive here
 * already numbered and journaled. A journal whose thread died is not continued: its sealed part stays as
 * a kill would leave it, and `onLost` tells the capture, which goes on in a new one.
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
  private config: DnsThreadConfig;
  /** The journal the thread writes, and who to tell when the thread dies with it. */
  private journal: { spec: JournalSpec; onLost: (spec: JournalSpec) => void } | null = null;
  /** A journal to start once the thread runs again. */
  private journalStart: JournalSpec | null = null;
  /** Records journals of threads that died had lost. */
  private journalLostBefore = 0;
  /** Observed exchanges (dnstap in) on their way to the thread's journal, sent once per turn. */
  private readonly observedBatch = new RecordBatchWriter();
  private observedQueued = false;
  /** close() was called while a journal was written: the thread ends when it stops. */
  private endAfterJournal = false;

  constructor(private readonly opts: DnsThreadOptions) {
    this.clock = opts.clock ?? realClock;
    this.config = opts.config;
    this.rules = opts.config.rules;
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.last = {
      listeners: [],
      failures: [],
      upstreams: [],
      counters: ZERO_COUNTERS,
      dropped: 0,
      journal: NO_JOURNAL_STORAGE,
    };
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

  /**
   * Settings changed listen addresses, upstreams or ranges: the thread's forwarder stops (waiting up to
   * `drainMs` for what it forwards, recorded as usual) and a new one takes its place, not listening until
   * listen(). The thread, and the journal it writes, stay; the counters start again (the caller keeps them).
   */
  async reconfigure(config: DnsThreadConfig, drainMs: number): Promise<void> {
    this.config = config;
    // A thread being started again takes the new config from spawn().
    await this.request('configure', { config: { ...config, rules: this.rules }, drainMs }).catch(
      () => undefined,
    );
    this.retired = ZERO_COUNTERS;
    this.last = { ...this.last, counters: ZERO_COUNTERS };
  }

  /**
   * Has the thread number and journal every record from now on into `spec`'s journal (at once, or when a
   * restarting thread runs). `onLost` is called when the thread dies with it.
   */
  startJournal(spec: JournalSpec, onLost: (spec: JournalSpec) => void): void {
    this.journal = { spec, onLost };
    if (this.worker === null) this.journalStart = spec;
    else void this.request('capture:start', spec).catch(() => undefined);
  }

  /**
   * Flushes, seals and closes the journal; resolves after every record it numbered has reached the sink.
   * Null when none was written, or when the thread died with it (onLost was called then).
   */
  async stopJournal(): Promise<JournalEnd | null> {
    const j = this.journal;
    if (j === null) return null;
    this.journalStart = null;
    this.flushObserved();
    let end: JournalEnd | null = null;
    try {
      end = await this.request('capture:stop', null);
      this.setStatus(await this.request('status', null));
    } catch {
      // Died meanwhile: exited() told onLost.
    }
    if (this.journal === j) this.journal = null;
    if (this.endAfterJournal) await this.end();
    return end;
  }

  /** A reverse lookup of ours started or ended: its echo from one of `routers` is not journaled. */
  ownLookup(name: string, phase: 'begin' | 'end', at: number, routers: readonly string[]): void {
    if (this.worker !== null) this.request('own-lookup', { name, phase, at, routers }).catch(() => undefined);
  }

  /**
   * Takes `count` seqs for an import after every seq the thread handed out and `above`; resolves with the one
   * before them once the records numbered before them have reached the sink. Without a running thread, a
   * journal waiting for one starts numbering after them.
   */
  async reserveSeqs(count: number, above: number): Promise<number> {
    if (this.worker !== null) {
      try {
        return await this.request('capture:reserve', { count, above });
      } catch {
        // Died meanwhile: its journal is not continued, and the next one starts from the store's seq.
      }
    }
    const start = this.journalStart;
    if (start !== null) this.journalStart = { ...start, lastSeq: Math.max(start.lastSeq, above + count) };
    return above;
  }

  /** Writes what the journal holds; resolves once it is on disk (or the disk refused it). */
  async flushJournal(): Promise<void> {
    if (this.journal === null || this.worker === null) return;
    this.flushObserved();
    await this.request('capture:flush', null).catch(() => undefined);
  }

  /** The journal's storage as the thread last reported it, with what journals of dead threads lost. */
  journalStorage(): JournalStorage {
    const j = this.current().journal;
    return { ...j, lostRecords: j.lostRecords + this.journalLostBefore };
  }

  /**
   * An exchange observed elsewhere (dnstap in): journaled by the thread in order with the forwarder's, and
   * then handed to the sink like them. Without a journal (or a thread) it goes to the sink at once.
   */
  observed(rec: ExchangeRecord): void {
    if (this.journal === null || (this.worker === null && this.closing)) {
      this.opts.sink.record(rec);
      return;
    }
    if (this.observedBatch.size >= MAX_OBSERVED_WAITING) {
      this.opts.sink.record(rec);
      return;
    }
    this.observedBatch.add(rec);
    if (!this.observedQueued && this.worker !== null) {
      this.observedQueued = true;
      setImmediate(this.sendObserved);
    }
  }

  private readonly sendObserved = (): void => {
    this.observedQueued = false;
    this.flushObserved();
  };

  private flushObserved(): void {
    if (this.worker === null || this.observedBatch.count === 0) return;
    const { buffer, count } = this.observedBatch.take();
    this.request('observed', { buffer, count }, [buffer]).catch(() => undefined);
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

  /**
   * Stops listening, waits up to `drainMs` for what is being forwarded (still recorded), ends the thread;
   * while it writes a journal, the thread ends only once stopJournal() has closed it.
   */
  async close(drainMs = 0): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== null) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.worker === null) return;
    try {
      this.setStatus(await this.request('close', { drainMs }));
    } catch {
      // Died while closing: nothing more to hand over.
    }
    if (this.journal !== null && this.worker !== null) this.endAfterJournal = true;
    else await this.end();
  }

  private async end(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  private spawn(): void {
    const consumed = new SharedArrayBuffer(4);
    this.taken = new Int32Array(consumed);
    const data: DnsThreadData = { config: { ...this.config, rules: this.rules }, consumed };
    const worker = new Worker(this.workerUrl, { workerData: data, name: 'dns' });
    this.worker = worker;
    worker.on('message', (msg: DnsThreadMessage) => this.receive(msg));
    let error = '';
    worker.on('error', (err) => (error = err.message));
    worker.on('exit', (code) => this.exited(worker, error || `exit code ${code}`));
    const start = this.journalStart;
    this.journalStart = null;
    if (start !== null) void this.request('capture:start', start).catch(() => undefined);
    this.flushObserved();
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
    // Its journal is not continued (see the class comment); what it lost stays counted.
    this.journalLostBefore += this.last.journal.lostRecords;
    const lost = this.journal;
    this.journal = null;
    this.journalStart = null;
    this.last = { ...this.last, journal: NO_JOURNAL_STORAGE };
    if (lost !== null) lost.onLost(lost.spec);
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
    transfer: ArrayBuffer[] = [],
  ): Promise<DnsThreadRequests[K]['result']> {
    const worker = this.worker;
    if (worker === null) return Promise.reject(new Error('the DNS thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ type: 'request', id, name, arg }, transfer);
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
