import type { StorageStatus } from '@shared/events';
import { realClock, type Clock } from '../clock';
import { JOURNAL_FRAME_BYTES, JournalWriter } from './journal';
import { LocalTimeFormatter } from './local-time';
import type { ExchangeRecord, JournalNumber } from './types';

/** The running capture's journal as the thread that writes it is told to start it. */
export interface JournalSpec {
  /** Which start this is: records numbered into it carry it back (JournalNumber.journal). */
  readonly serial: number;
  readonly captureId: string;
  /** The journal file (journal.ndjson in the capture's folder). */
  readonly path: string;
  /** Highest seq handed out so far: this journal's records are numbered above it. */
  readonly lastSeq: number;
  /** Lines waiting for a failing disk are kept up to this many bytes. */
  readonly maxUnwrittenBytes: number;
}

/** What a stopped journal leaves: its last seq and how many records it could not save. */
export interface JournalEnd {
  readonly serial: number;
  readonly lastSeq: number;
  readonly dropped: number;
  /** Every line it was given is on disk: nothing dropped, nothing still waiting for a failing disk. */
  readonly complete: boolean;
}

/** Whether the journal reaches the disk (StorageStatus) and how much waits in memory for it. */
export interface JournalStorage extends StorageStatus {
  readonly unwrittenBytes: number;
}

export const NO_JOURNAL_STORAGE: JournalStorage = { error: '', lostRecords: 0, unwrittenBytes: 0 };

/** Past this much waiting journal text a flush starts at once instead of on the next period. */
const EARLY_FLUSH_BYTES = 1 << 20;

export interface CaptureJournalOptions {
  readonly clock?: Clock;
  /** Journal flush (and seal) period, default 250 ms. */
  readonly flushIntervalMs?: number;
  /** Journal problems (ENOSPC, EACCES...), one clear line each. */
  readonly onWarning: (message: string) => void;
}

/**
 * The running capture's journal on the DNS thread: numbers each record (seq, local time), appends it to
 * the JournalWriter (the same encoding and seals as CaptureStore's own writer) and flushes within
 * flushIntervalMs, so a busy main thread delays neither writes nor seals. Journals of stopped captures that
 * a failing disk still holds are retried on every flush. append() never throws and never touches the disk.
 */
export class CaptureJournal {
  private writer: JournalWriter | null = null;
  private spec: JournalSpec | null = null;
  private seq = 0;
  private readonly draining = new Set<JournalWriter>();
  private lostBefore = 0;
  private readonly times = new LocalTimeFormatter();
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private flushTimer: unknown = null;
  private timerFlushBusy = false;
  private flushQueued = false;
  private closed = false;

  constructor(private readonly opts: CaptureJournalOptions) {
    this.clock = opts.clock ?? realClock;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
  }

  /** The journal being written, or null. */
  get running(): JournalSpec | null {
    return this.spec;
  }

  /** Starts writing `spec`'s journal. Throws while another one is written or after close(). */
  start(spec: JournalSpec): void {
    if (this.closed) throw new Error('the capture journal is closed');
    if (this.spec !== null) throw new Error(`capture ${this.spec.captureId} is still being journaled`);
    this.spec = spec;
    this.seq = Math.max(this.seq, spec.lastSeq);
    this.writer = new JournalWriter({
      path: spec.path,
      maxUnwrittenBytes: spec.maxUnwrittenBytes,
      onWarning: (message) => this.report(message),
      chained: true,
      compactBytes: JOURNAL_FRAME_BYTES,
    });
  }

  /**
   * Takes `count` seqs for records numbered elsewhere (an imported capture's), after every seq handed out here
   * and after `above`; returns the one before them. Records appended later are numbered after them.
   */
  reserve(count: number, above: number): number {
    const base = Math.max(this.seq, above);
    this.seq = base + count;
    return base;
  }

  /** Numbers and journals `rec`; undefined when no journal is written. A line the disk refused still takes its seq. */
  append(rec: ExchangeRecord): JournalNumber | undefined {
    const writer = this.writer;
    const spec = this.spec;
    if (writer === null || spec === null) return undefined;
    try {
      const seq = ++this.seq;
      const time = this.times.format(rec.ts);
      writer.appendRecord(seq, time, spec.captureId, rec);
      if (this.flushTimer === null) this.armFlush();
      // One early flush at a time, and none while the disk fails: the periodic flush retries then.
      if (!this.flushQueued && writer.unwrittenBytes >= EARLY_FLUSH_BYTES && !writer.isFailing) {
        this.flushQueued = true;
        setImmediate(this.runQueuedFlush);
      }
      return { seq, time, offset: this.times.lastOffset, journal: spec.serial };
    } catch (err) {
      this.report(`capture: could not journal a query (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  }

  /**
   * Flushes, seals and closes the journal being written; null when none was. What a failing disk still
   * refuses is retried by later flushes (and counted in storage()).
   */
  async stop(): Promise<JournalEnd | null> {
    const writer = this.writer;
    const spec = this.spec;
    if (writer === null || spec === null) return null;
    this.writer = null;
    this.spec = null;
    this.draining.add(writer);
    await writer.close();
    if (writer.unwrittenBytes === 0) this.forget(writer);
    else this.armFlush();
    return {
      serial: spec.serial,
      lastSeq: this.seq,
      dropped: writer.dropped,
      complete: writer.unwrittenBytes === 0 && writer.dropped === 0,
    };
  }

  /** Writes waiting journal lines, of the running journal and of stopped ones still draining; never rejects. */
  async flush(): Promise<void> {
    const writer = this.writer;
    if (writer !== null) await writer.flush();
    for (const w of [...this.draining]) {
      await w.flush();
      if (w.unwrittenBytes === 0) this.forget(w);
    }
  }

  /** Stops the running journal, tries once more to write what waits, and stops the timer. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
    for (const w of this.draining) {
      this.report(
        `capture journal ${w.path}: ${w.unwrittenBytes} bytes of queries could not be written before closing and are lost`,
      );
    }
  }

  /** The first write error of any open journal, the records lost, and the bytes waiting for the disk. */
  storage(): JournalStorage {
    let error = '';
    let lost = this.lostBefore;
    let unwritten = 0;
    for (const w of [this.writer, ...this.draining]) {
      if (w === null) continue;
      if (error === '') error = w.writeError;
      lost += w.dropped;
      unwritten += w.unwrittenBytes;
    }
    return { error, lostRecords: lost, unwrittenBytes: unwritten };
  }

  private forget(writer: JournalWriter): void {
    if (this.draining.delete(writer)) this.lostBefore += writer.dropped;
  }

  private get unwritten(): boolean {
    return (this.writer?.unwrittenBytes ?? 0) > 0 || this.draining.size > 0;
  }

  private readonly runQueuedFlush = (): void => {
    this.flushQueued = false;
    void this.flush();
  };

  /** Flushes within flushIntervalMs of the first line, and again while anything waits; idle, no timer. */
  private armFlush(): void {
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = this.clock.setTimeout(this.onFlushTimer, this.flushIntervalMs);
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    // A slow disk must not pile up flushes; the next period picks up whatever is waiting.
    if (this.timerFlushBusy) return this.armFlush();
    this.timerFlushBusy = true;
    void this.flush().finally(() => {
      this.timerFlushBusy = false;
      if (this.unwritten) this.armFlush();
    });
  };

  private report(message: string): void {
    try {
      this.opts.onWarning(message);
    } catch {
      // A failing warning sink must not stop the journal.
    }
  }
}

/**
 * Where CaptureStore has a running capture's journal written when not by itself: the DNS thread
 * (DnsThread). Records then come back numbered (ExchangeRecord.journaled) and the store only indexes them.
 */
export interface JournalHost {
  /** Journals every record from now on into `spec`; `onLost` is called if the writer dies with it. */
  startJournal(spec: JournalSpec, onLost: (spec: JournalSpec) => void): void;
  /**
   * Takes `count` seqs for an imported capture's records after every seq handed out so far (here, and `above`
   * where the store numbered); resolves with the one before them, once every record numbered before them has
   * reached the store.
   */
  reserveSeqs(count: number, above: number): Promise<number>;
  /** Flushes, seals and closes it, after handing over every record numbered into it; null when it was lost. */
  stopJournal(): Promise<JournalEnd | null>;
  /** Resolves once what the journal holds is written (or the disk refused it). */
  flushJournal(): Promise<void>;
  journalStorage(): JournalStorage;
}
