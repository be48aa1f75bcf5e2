import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueryListRequest } from '@shared/api';
import type {
  CaptureInfo,
  ClientSummary,
  HistoryStatus,
  MinuteBucket,
  QueryBatch,
  QueryEvent,
  QueryFilter,
  QueryPage,
  StorageStatus,
} from '@shared/events';
import { MINUTE_MS, minuteOf } from '@shared/time';
import { writeFileAtomic, writeFileAtomicSync } from '../atomic-write';
import { realClock, type Clock } from '../clock';
import { RateCounter, toMinuteBuckets } from './aggregates';
import { Batcher } from './batcher';
import { CAPTURE_ID_PATTERN, newCaptureId } from './capture-id';
import { readCheckpoint, readCheckpointHead, writeCheckpoint } from './checkpoint';
import type { JournalHost, JournalSpec } from './capture-journal';
import type { StoredEvent, StringTable } from './columns';
import { ChunkPool, EventColumns } from './columns';
import { wakeUp } from '../wake-up';
import {
  csvCell,
  csvChunksOf,
  csvDeviceCells,
  csvLatency,
  unknownCsvDevice,
  type CsvDeviceLookup,
} from './csv';
import type { JournalScan } from './journal';
import {
  captureMetaText,
  describeFsError,
  ensureDir,
  ensureDirSync,
  JOURNAL_FILE,
  JOURNAL_FRAME_BYTES,
  journalBytes,
  JournalWriter,
  lastJournalSeq,
  META_FILE,
  readCaptureMeta,
  scanJournal,
} from './journal';
import type { CaptureMeta } from './journal';
import { LocalTimeFormatter } from './local-time';
import { ByteLru } from './row-cache';
import { CaptureSegment, type WatchedVisitor } from './segment';
import type { ExchangeRecord, ExchangeSink, JournalNumber } from './types';

/** Where scanSince stopped: the retained captures' layout, a capture's position and its next row. */
export interface StoreCursor {
  readonly layout: number;
  readonly segment: number;
  readonly row: number;
  /**
   * Set when scanSince stopped at a stopped capture whose rows are being read back from its journal: resolves
   * (never rejects) once the next call can go on from there.
   */
  readonly loading?: Promise<void>;
}

export interface CaptureStoreOptions {
  /** Captures live in `${dataDir}/captures/<captureId>/`. */
  readonly dataDir: string;
  /** 0 = keep forever; older *stopped* captures are deleted on open and hourly. */
  readonly retentionDays: number;
  /** Default the real clock; every time-dependent piece (stamps, retention, flush and batch timers) uses it. */
  readonly clock?: Clock;
  /** Journal flush period, default 250. */
  readonly flushIntervalMs?: number;
  /** Live batch period, default 200. */
  readonly batchIntervalMs?: number;
  /** A subscriber's batch is flushed early at this many events, default 500. */
  readonly batchMaxEvents?: number;
  /** Most events recent() returns (the snapshot's tail), default 500. */
  readonly recentLimit?: number;
  /** Journal lines waiting for a failing disk are kept up to this many bytes, default 64 MiB. */
  readonly maxUnwrittenBytes?: number;
  /** Journal problems (ENOSPC, EACCES...), one clear line each. */
  readonly onWarning?: (message: string) => void;
  /**
   * Open without reading the retained captures' journals: open() then takes only their sizes and last seqs,
   * and loadHistory() reads them behind whatever runs first (DNS). Default false: open() reads them all.
   */
  readonly deferHistory?: boolean;
  /** Bytes of journal read per turn of the event loop while loading history, default 256 KiB. */
  readonly historySliceBytes?: number;
  /**
   * Memory for stopped captures' rows, default 32 MiB (a day of household queries): they are read back from their
   * journals when a query page or the insights need them and kept, least recently used evicted first, up to this
   * many bytes with the spare chunks (see ChunkPool). The CSV reads past it.
   */
  readonly rowCacheBytes?: number;
  /** Read every stopped capture's rows at start-up and keep them all (as before the cache); default false. */
  readonly eagerRows?: boolean;
  /** Rows a whole-capture read that bypasses the cache (the CSV) holds at a time, about; default 16,384. */
  readonly scanPieceRows?: number;
}

/** A retained capture still on disk only: loadHistory() reads it. */
interface PendingCapture {
  readonly id: string;
  readonly dir: string;
  readonly meta: CaptureMeta | null;
  readonly bytes: number;
}

export type { WatchedVisitor } from './segment';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Past this much waiting journal text a flush starts at once instead of on the next period. */
const EARLY_FLUSH_BYTES = 1 << 20;
const DEFAULT_MAX_PENDING = 20_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Highest seq ever handed out, kept when retention deletes the captures that held it. */
const SEQ_FILE = 'seq.json';
/** Rows examined between yields of the CSV row generator. */
const CSV_SLICE = 16_384;
/** About 2 ms of parsing on a small machine: what DNS waits at most behind the history load. */
const HISTORY_SLICE_BYTES = 256 * 1024;
const ROW_CACHE_BYTES = 32 * 1024 * 1024;
/** One chunk of columns (about 1.1 MB): what the CSV holds of a capture it reads from the journal. */
const SCAN_PIECE_ROWS = 16_384;
/** Filters whose matches are remembered per stopped capture (see matchCounts). */
const MATCH_COUNTS_PER_CAPTURE = 32;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Records finished exchanges into captures: an append-only journal per capture on disk, columnar
 * in-memory indexes and aggregates for queries, snapshots and CSV, and numbered live batches for
 * subscribers. record() is the forwarder's hot path: cheap, no disk access, never throws.
 */
export class CaptureStore implements ExchangeSink {
  private segments: CaptureSegment[] = [];
  /** Bumped whenever retained captures are deleted, so scanSince cursors into them are refused. */
  private layout = 0;
  private running: CaptureSegment | null = null;
  /** Null when no capture runs, after close(), and when `host` writes the journal. */
  private writer: JournalWriter | null = null;
  /** Writes the running capture's journal when set (the DNS thread): this store then only indexes. */
  private host: JournalHost | null = null;
  /** Captures whose journal the host writes or is closing, by JournalSpec.serial. */
  private readonly hosted = new Map<number, CaptureSegment>();
  private journalSerial = 0;
  /** Captures whose capture.json could not be written yet; retried on every flush. */
  private readonly metaPending = new Set<CaptureSegment>();
  /** Journals of stopped captures still holding text a failing disk refused; retried on every flush. */
  private readonly draining = new Set<JournalWriter>();
  /** Records lost by journals no longer open (see storage()). */
  private lostBefore = 0;
  private seq = 0;
  private closed = false;
  private readonly clock: Clock;
  private readonly capturesDir: string;
  private retentionMs: number;
  private readonly flushIntervalMs: number;
  private readonly batchIntervalMs: number;
  private readonly recentLimit: number;
  private readonly maxUnwrittenBytes: number;
  private readonly onWarning: (message: string) => void;
  private readonly rate = new RateCounter();
  private readonly recordTimes = new LocalTimeFormatter();
  private readonly readTimes = new LocalTimeFormatter();
  private readonly batcher: Batcher<QueryEvent>;
  private readonly warned = new Set<string>();
  /** The hourly retention pass; flush and batch timers are armed only while there is something to do. */
  private retentionTimer: unknown = null;
  private flushTimer: unknown = null;
  private batchTimer: unknown = null;
  private flushQueued = false;
  private timerFlushBusy = false;
  private tickQueued = false;
  private retention: Promise<unknown> = Promise.resolve();
  private stops: Promise<unknown> = Promise.resolve();
  /** Retained captures not read yet, oldest first, and how far loadHistory() has got. */
  private pending: PendingCapture[] = [];
  /** Captures taken in from their checkpoints whose rows loadHistory() has still to read, oldest first. */
  private rowsPending: { readonly seg: CaptureSegment; readonly dir: string }[] = [];
  private readonly historyProgress = { captures: 0, loaded: 0, bytes: 0, read: 0, queries: 0 };
  private historyRun: Promise<void> | null = null;
  private clientsCache: {
    seq: number;
    layout: number;
    segments: number;
    list: readonly ClientSummary[];
  } | null = null;
  private readonly historySliceBytes: number;
  /**
   * Journal reads since open(): tails read for a last seq (captures without a valid checkpoint), whole journals
   * read back for a stopped capture's rows.
   */
  private readonly reads = { tails: 0, rows: 0 };
  private readonly eagerRows: boolean;
  private readonly scanPieceRows: number;
  /** Stopped captures' rows read back from their journals (see rowsOf). */
  private readonly rowCache: ByteLru<CaptureSegment, EventColumns>;
  /** The chunks of rows the cache let go, for the next rows read back (see ChunkPool). */
  private readonly chunkPool: ChunkPool;
  /** Rows being read back, one read per capture however many readers wait. */
  private readonly rowLoads = new Map<CaptureSegment, Promise<EventColumns | null>>();
  /** Resolves when the last read of rows asked for is done: each waits for the one before (never rejects). */
  private rowReadTurn: Promise<void> = Promise.resolve();
  /** Rows scanSince waited for, held until it has passed them (they may be too large for the cache). */
  private scanHeld: { readonly seg: CaptureSegment; readonly cols: EventColumns } | null = null;
  /** Stopped captures whose rows could not be read back: scanSince passes over them. */
  private readonly rowsUnreadable = new WeakSet<CaptureSegment>();
  /** Stopped captures whose journal holds other rows than their checkpoint counted: their counts come from rows. */
  private readonly rowsDiffer = new WeakSet<CaptureSegment>();
  /** Rows a stopped capture's journal held when last read back (its checkpoint's count until then). */
  private readonly rowCounts = new WeakMap<CaptureSegment, number>();
  /** Per stopped capture, the rows each filter matched, so paging past it needs no rows. */
  private readonly matchCounts = new WeakMap<CaptureSegment, Map<string, number>>();
  /** The last rows of the newest stopped captures, for recent() when their whole rows are not in memory. */
  private readonly recentTails = new WeakMap<CaptureSegment, EventColumns>();
  /** The read of the newest stopped captures' last rows for recent(), started once their counts are in. */
  private recentRead: Promise<void> = Promise.resolve();
  /**
   * The newest stopped captures' last rows are still to be read (from the history's start until then): a
   * snapshot taken meanwhile has a short tail, so the history says "loading" and the dashboard asks again.
   */
  private tailsPending = false;

  private constructor(opts: CaptureStoreOptions) {
    this.clock = opts.clock ?? realClock;
    this.capturesDir = join(opts.dataDir, 'captures');
    this.retentionMs = opts.retentionDays > 0 ? opts.retentionDays * DAY_MS : 0;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
    this.batchIntervalMs = opts.batchIntervalMs ?? 200;
    this.recentLimit = opts.recentLimit ?? 500;
    this.maxUnwrittenBytes = opts.maxUnwrittenBytes ?? 64 * 1024 * 1024;
    this.onWarning = opts.onWarning ?? (() => undefined);
    this.historySliceBytes = opts.historySliceBytes ?? HISTORY_SLICE_BYTES;
    this.eagerRows = opts.eagerRows === true;
    this.scanPieceRows = Math.max(1, opts.scanPieceRows ?? SCAN_PIECE_ROWS);
    const cacheBytes = opts.rowCacheBytes ?? ROW_CACHE_BYTES;
    this.chunkPool = new ChunkPool(cacheBytes);
    this.rowCache = new ByteLru(cacheBytes, (cols) => cols.release());
    this.batcher = new Batcher<QueryEvent>({
      intervalMs: this.batchIntervalMs,
      maxEvents: opts.batchMaxEvents ?? 500,
      maxPending: DEFAULT_MAX_PENDING,
      onListenerError: (err) =>
        this.warn(
          'listener',
          `capture: a live query listener failed (${messageOf(err)}); it stays subscribed`,
        ),
    });
  }

  /**
   * Opens the store: finds the retained captures on disk and deletes expired ones, continues seqs above
   * every journal's last, loads the captures (repairing torn journals, closing captures a crash left
   * running) unless `deferHistory` leaves that to loadHistory(), and starts the retention timer. Disk
   * problems become warnings; the store then works in memory.
   */
  static async open(opts: CaptureStoreOptions): Promise<CaptureStore> {
    const store = new CaptureStore(opts);
    await store.load();
    if (opts.deferHistory !== true) await store.loadHistory();
    await store.applyRetention();
    store.startTimers();
    return store;
  }

  /**
   * Reads the retained captures open() left on disk, oldest first. A stopped capture with a valid checkpoint
   * (checkpoint.ts) joins the store from it at once: captures, counts, clients, minutes; the others are read
   * from their journals a slice at a time with the event loop free in between, each joining once read (and
   * given a checkpoint). `onWatched` sees every capture's watched events, oldest capture first. A stopped
   * capture's rows (query log, CSV, insights) are read back from its journal when first needed and kept in a
   * cache of `rowCacheBytes`; only the newest ones, for recent(), are read at once, behind the counts. With
   * `eagerRows` every capture's rows are read after the counts instead, and kept. Records made meanwhile go to
   * the running capture as always. Resolves when every capture is counted and recent()'s rows are read (with
   * `eagerRows`, every row) or the store closes; never rejects. Later calls share the first run.
   */
  loadHistory(onWatched?: WatchedVisitor): Promise<void> {
    this.historyRun ??= this.readPending(onWatched);
    return this.historyRun;
  }

  /**
   * Resolves once loadHistory() has read every retained capture, its rows (with `eagerRows`) and recent()'s
   * (at once when none waits).
   */
  historyLoaded(): Promise<void> {
    return this.pending.length === 0 && this.rowsPending.length === 0 && !this.tailsPending
      ? Promise.resolve()
      : this.loadHistory();
  }

  /**
   * How far the retained captures are read: "loading" from open() until every one has joined the store (its
   * counts; rows taken from a checkpoint may still be read after that, see `progress`) and the newest ones'
   * last rows, recent()'s, are read: a snapshot taken once it says "loaded" is whole.
   */
  history(): HistoryStatus {
    const h = this.historyProgress;
    return {
      state: this.pending.length > 0 || this.tailsPending ? 'loading' : 'loaded',
      captures: h.loaded,
      capturesTotal: h.captures,
      queries: h.queries,
      progress: h.bytes > 0 ? Math.min(1, h.read / h.bytes) : 1,
    };
  }

  private async readPending(onWatched?: WatchedVisitor): Promise<void> {
    const h = this.historyProgress;
    if (!this.eagerRows) this.tailsPending = true;
    const order = [...this.pending];
    // Checkpoints first: every capture that has a valid one counts at once.
    const fromCheckpoint = new Map<PendingCapture, CaptureSegment>();
    for (const p of order) {
      if (this.closed) return;
      const seg = await this.segmentFromCheckpoint(p);
      if (seg === null || this.closed) continue;
      fromCheckpoint.set(p, seg);
      this.pending.splice(this.pending.indexOf(p), 1);
      if (this.eagerRows) this.rowsPending.push({ seg, dir: p.dir });
      // Its journal is read only when its rows are needed: no part of the history's progress.
      else h.bytes -= p.bytes;
      this.joinHistory(seg);
    }
    // In start order, so the watchlist's times arrive oldest first: checkpoints' watched events, journals read.
    for (const p of order) {
      if (this.closed) return;
      const fromCp = fromCheckpoint.get(p);
      if (fromCp !== undefined) {
        if (onWatched) fromCp.forEachWatched(onWatched);
        continue;
      }
      const seg = await this.loadSegment(p.id, p.dir, p.meta);
      if (this.closed) return;
      this.pending.splice(this.pending.indexOf(p), 1);
      if (seg !== null) {
        this.joinHistory(seg);
        if (onWatched) seg.forEachWatched(onWatched);
      } else h.loaded++;
      if (this.metaPending.size > 0) this.armFlush();
    }
    while (this.rowsPending.length > 0 && !this.closed) {
      const { seg, dir } = this.rowsPending[0]!;
      await this.loadRows(seg, dir);
      if (this.closed) return;
      this.rowsPending.shift();
    }
    if (!this.eagerRows) {
      this.recentRead = this.readRecentRows().finally(() => {
        this.tailsPending = false;
      });
      await this.recentRead;
    }
  }

  /**
   * Reads the last rows of the newest stopped captures that recent() (the snapshot's tail) shows, keeping only
   * those: a few hundred rows, not the captures' whole rows.
   */
  private async readRecentRows(): Promise<void> {
    let want = this.recentLimit;
    for (let s = this.segments.length - 1; s >= 0 && want > 0 && !this.closed; s--) {
      const seg = this.segments[s]!;
      if (!seg.hasRows && seg.queries > 0 && !this.rowCache.has(seg)) await this.readTail(seg, want);
      want -= seg.queries;
    }
  }

  /** Reads stopped capture `seg`'s journal for its last `n` rows only (see recentTails). */
  private async readTail(seg: CaptureSegment, n: number): Promise<void> {
    const ring: StoredEvent[] = [];
    let next = 0;
    this.reads.rows++;
    try {
      await scanJournal(
        join(this.capturesDir, seg.id, JOURNAL_FILE),
        (ev) => {
          ring[next] = ev;
          next = (next + 1) % n;
        },
        false,
        { chunkBytes: this.historySliceBytes, stop: () => this.closed },
      );
    } catch {
      // Said when the rows themselves are needed (readRows).
      return;
    }
    if (this.closed || !this.segments.includes(seg)) return;
    const tail = new EventColumns();
    const first = ring.length < n ? 0 : next;
    for (let i = 0; i < ring.length; i++) {
      const ev = ring[(first + i) % ring.length]!;
      tail.append(seg.seqBase + ev.seq, ev, ev.offset);
    }
    this.recentTails.set(seg, tail);
  }

  /**
   * The rows of `seg` when in memory: its own (the running capture's; with eagerRows, whatever is read so far),
   * else the cache's (now its most recently used).
   */
  private rowsOf(seg: CaptureSegment): EventColumns | null {
    return seg.hasRows || this.eagerRows ? seg.columns : (this.rowCache.get(seg) ?? null);
  }

  /**
   * The rows of `seg`, read back from its journal when not in memory (once, however many wait); null when its
   * journal cannot be read (after a warning; its counts stay) or the store closed or deleted it meanwhile.
   */
  private needRows(seg: CaptureSegment): Promise<EventColumns | null> {
    const held = this.rowsOf(seg);
    if (held !== null) return Promise.resolve(held);
    let load = this.rowLoads.get(seg);
    if (load === undefined) {
      // One capture read at a time (a page, the CSV and the insights may each want one): memory holds the
      // cache and at most one capture being read, whoever asks.
      load = this.rowReadTurn.then(() => this.readRows(seg)).finally(() => this.rowLoads.delete(seg));
      this.rowReadTurn = load.then(
        () => undefined,
        () => undefined,
      );
      this.rowLoads.set(seg, load);
    }
    return load;
  }

  private async readRows(seg: CaptureSegment): Promise<EventColumns | null> {
    // On the next turn: the rows read before this are no longer pinned for their waiters (see below).
    await new Promise((resolve) => setImmediate(resolve));
    // Room first, so the rows let go are those read into: memory holds the cache's worth, not that and more.
    this.rowCache.reserve(EventColumns.bytesFor(this.rowCounts.get(seg) ?? seg.queries));
    const cols = new EventColumns(this.chunkPool);
    const base = seg.seqBase;
    const read = await this.readJournalRows(seg, (ev) => void cols.append(base + ev.seq, ev, ev.offset));
    if (!read) return null;
    this.rowCache.set(seg, cols, cols.bytes);
    // The cache and its spare chunks together hold no more than its size (a short capture leaves some over).
    this.chunkPool.trimTo(this.rowCache.maxBytes - this.rowCache.bytes);
    // Readable for whoever waited for them (they go on before the next turn), even if the next read's
    // reserve() lets them go first.
    cols.pin();
    setImmediate(() => cols.unpin());
    return cols;
  }

  /**
   * Reads stopped capture `seg`'s journal, handing each event to `onEvent`, and notes how many rows it holds;
   * false when it cannot be read (after a warning; its counts stay), the store closed or deleted it meanwhile,
   * or `abandoned` said stop.
   */
  private async readJournalRows(
    seg: CaptureSegment,
    onEvent: (ev: StoredEvent) => void,
    pace?: { readonly onChunk: () => void | Promise<void>; readonly abandoned: () => boolean },
  ): Promise<boolean> {
    let rows = 0;
    this.reads.rows++;
    let scan: JournalScan | null;
    try {
      scan = await scanJournal(
        join(this.capturesDir, seg.id, JOURNAL_FILE),
        (ev) => {
          rows++;
          onEvent(ev);
        },
        false,
        {
          chunkBytes: this.historySliceBytes,
          ...(pace ? { onChunk: pace.onChunk } : {}),
          stop: () => this.closed || pace?.abandoned() === true,
        },
      );
    } catch (err) {
      this.warn(
        `read:${seg.id}`,
        `capture ${seg.id}: cannot read its journal: ${describeFsError(err).text}; its counts stay, its queries are missing from the query log and CSV`,
      );
      return false;
    }
    if (this.closed || pace?.abandoned() === true || !this.segments.includes(seg)) return false;
    if (scan === null) {
      this.warn(
        `read:${seg.id}`,
        `capture ${seg.id}: its journal is missing; its counts stay, its queries are missing from the query log and CSV`,
      );
      return false;
    }
    this.rowCounts.set(seg, rows);
    if (rows !== seg.queries || scan.corrupt > 0) {
      this.rowsDiffer.add(seg);
      this.warn(
        `rows:${seg.id}`,
        `capture ${seg.id}: its journal is damaged (${scan.corrupt} unreadable line(s) or frame(s)): it holds ${rows} of the ${seg.queries} queries its checkpoint counts; the query log and CSV show the journal's`,
      );
    }
    return true;
  }

  /**
   * Stopped capture `seg`'s rows straight from its journal, a piece of about `scanPieceRows` at a time, for
   * a reader that passes each row once (the CSV): neither the cache nor a whole capture's columns hold them,
   * and the journal is read no faster than the reader takes the pieces. Ends early (no warning) when the
   * reader stops; a journal that cannot be read gives what was read of it, after its warning.
   */
  private async *streamRows(seg: CaptureSegment): AsyncGenerator<EventColumns> {
    const base = seg.seqBase;
    const ready: EventColumns[] = [];
    let piece = new EventColumns(this.chunkPool);
    let finished = false;
    let abandoned = false;
    // Whichever side waits (the reader for a piece, the journal for room): never both at once.
    const { wait, wake } = wakeUp();
    const handOn = (): void => {
      if (piece.length === 0) return;
      ready.push(piece);
      piece = new EventColumns(this.chunkPool);
      wake();
    };
    const reading = this.readJournalRows(seg, (ev) => void piece.append(base + ev.seq, ev, ev.offset), {
      onChunk: async () => {
        if (piece.length >= this.scanPieceRows) handOn();
        while (ready.length >= 2 && !abandoned) await wait();
      },
      abandoned: () => abandoned,
    }).finally(() => {
      if (!abandoned) handOn();
      finished = true;
      wake();
    });
    try {
      for (;;) {
        const next = ready.shift();
        if (next !== undefined) {
          wake();
          yield next;
          // Resumed: the reader is done with it.
          next.release();
        } else if (finished) break;
        else await wait();
      }
    } finally {
      abandoned = true;
      wake();
      await reading;
    }
  }

  /** A key for the rows a filter selects (not which page of them). */
  private static filterKey(f: QueryFilter): string {
    return JSON.stringify([
      f.client ?? '',
      f.name ?? '',
      f.from ?? null,
      f.to ?? null,
      f.captureId ?? '',
      f.watched === true,
      f.rule ?? '',
    ]);
  }

  /** How many rows of stopped capture `seg` match `filter` without its rows, when known; else null. */
  private countWithoutRows(seg: CaptureSegment, filter: QueryFilter, key: string): number | null {
    const counted = this.matchCounts.get(seg)?.get(key);
    if (counted !== undefined) return counted;
    const known = seg.knownCount(filter);
    // A damaged journal's rows are fewer than its checkpoint counts: only "none" holds for them.
    return known === 0 || (known !== null && !this.rowsDiffer.has(seg)) ? known : null;
  }

  private rememberCount(seg: CaptureSegment, key: string, n: number): void {
    let m = this.matchCounts.get(seg);
    if (m === undefined) {
      m = new Map();
      this.matchCounts.set(seg, m);
    }
    if (m.size >= MATCH_COUNTS_PER_CAPTURE && !m.has(key)) m.delete(m.keys().next().value!);
    m.set(key, n);
  }

  /** Places a capture read from disk among the others, in start order. */
  private joinHistory(seg: CaptureSegment): void {
    const h = this.historyProgress;
    h.loaded++;
    h.queries += seg.queries;
    // In start order; the running capture, started after every retained one, stays last.
    let at = this.segments.length;
    while (at > 0 && this.segments[at - 1]!.startedAt > seg.startedAt) at--;
    this.segments.splice(at, 0, seg);
    // scanSince cursors count segments: one inserted before theirs means starting over.
    this.layout++;
  }

  /**
   * The stopped capture `p` as its checkpoint describes it, or null when it has none that is valid (then its
   * journal is read, and a damaged or mismatched checkpoint is reported).
   */
  private async segmentFromCheckpoint(p: PendingCapture): Promise<CaptureSegment | null> {
    const meta = p.meta;
    if (meta === null || meta.stoppedAt === 0) return null;
    const read = await readCheckpoint(p.dir, p.id, join(p.dir, JOURNAL_FILE));
    if (read.kind !== 'ok') {
      if (read.kind === 'damaged' || read.kind === 'mismatched')
        this.warn(
          `checkpoint:${p.id}`,
          `capture ${p.id}: its checkpoint is ${read.kind} (${read.reason}); reading its journal instead`,
        );
      return null;
    }
    const data = read.data;
    // An import numbers its records from 1: they follow every seq handed out so far here (see loadSegment).
    const base = meta.source ? await this.takeSeqs(data.lastSeq) : 0;
    const seg = CaptureSegment.fromCheckpoint(p.id, meta.startedAt, meta.stoppedAt, data, base);
    seg.source = meta.source ?? null;
    this.seq = Math.max(this.seq, seg.lastSeq());
    return seg;
  }

  /** Reads the rows of a capture taken from its checkpoint and gives them to it. */
  private async loadRows(seg: CaptureSegment, dir: string): Promise<void> {
    // Deleted by retention meanwhile.
    if (!this.segments.includes(seg)) return;
    const cols = new EventColumns();
    const base = seg.seqBase;
    try {
      await scanJournal(
        join(dir, JOURNAL_FILE),
        (ev) => void cols.append(base + ev.seq, ev, ev.offset),
        false,
        {
          chunkBytes: this.historySliceBytes,
          onChunk: (bytes) => void (this.historyProgress.read += bytes),
          stop: () => this.closed,
        },
      );
    } catch (err) {
      this.warn(`read:${seg.id}`, `capture ${seg.id}: cannot read its journal: ${describeFsError(err).text}`);
      return;
    }
    if (this.closed || !this.segments.includes(seg)) return;
    if (cols.length !== seg.queries)
      this.warn(
        `rows:${seg.id}`,
        `capture ${seg.id}: its journal holds ${cols.length} queries, its checkpoint ${seg.queries}; the query log shows the journal's`,
      );
    seg.attachColumns(cols);
    // Rows appeared in a capture scanSince may have passed: its cursors start over.
    this.layout++;
  }

  /** Moves stopped capture `seg`'s rows (its journal holds them all) into the cache. */
  private cacheRows(seg: CaptureSegment): void {
    if (!seg.hasRows || seg.running) return;
    const cols = seg.detachRows();
    this.rowCache.set(seg, cols, cols.bytes);
  }

  /** Saves the checkpoint of stopped capture `seg` (its journal complete on disk); false after a warning. */
  private async saveCheckpoint(seg: CaptureSegment): Promise<boolean> {
    const dir = join(this.capturesDir, seg.id);
    try {
      await writeCheckpoint(dir, join(dir, JOURNAL_FILE), seg.checkpoint());
      return true;
    } catch (err) {
      this.warn(
        `checkpoint-save:${describeFsError(err).kind}`,
        `capture ${seg.id}: cannot save its checkpoint: ${describeFsError(err).text}; the next start reads its journal instead`,
      );
      return false;
    }
  }

  /** Starts a new capture, or returns the running one. Throws only after close(). */
  start(): CaptureInfo {
    if (this.closed) throw new Error('capture store is closed');
    if (this.running) return this.running.info();
    const now = this.clock.now();
    const id = this.uniqueId(now);
    const seg = new CaptureSegment(id, now, 0);
    const dir = join(this.capturesDir, id);
    this.segments.push(seg);
    this.running = seg;
    if (this.host === null)
      this.writer = new JournalWriter({
        path: join(dir, JOURNAL_FILE),
        maxUnwrittenBytes: this.maxUnwrittenBytes,
        onWarning: (message) => this.report(message),
        chained: true,
        compactBytes: JOURNAL_FRAME_BYTES,
      });
    // Written now so a crash before the first flush still leaves a capture that loads; retried on flush.
    try {
      ensureDirSync(dir);
      writeFileAtomicSync(join(dir, META_FILE), captureMetaText(seg));
    } catch (err) {
      this.metaPending.add(seg);
      this.metaWarning(seg.id, err);
      this.armFlush();
    }
    if (this.host !== null) {
      const serial = ++this.journalSerial;
      this.hosted.set(serial, seg);
      const spec = {
        serial,
        captureId: id,
        path: join(dir, JOURNAL_FILE),
        lastSeq: this.seq,
        maxUnwrittenBytes: this.maxUnwrittenBytes,
      };
      this.host.startJournal(spec, this.onJournalLost);
    }
    return seg.info();
  }

  /**
   * Has `host` write the journals of the captures started from now on (the DNS thread, so that a busy main
   * thread delays neither writes nor seals). Records then come back numbered and are only indexed here;
   * records without a number are not recorded. Throws while a capture runs.
   */
  useJournalHost(host: JournalHost): void {
    if (this.running !== null) throw new Error('a capture is running: its journal stays where it is');
    this.host = host;
  }

  private readonly onJournalLost = (spec: JournalSpec): void => void this.journalLost(spec);

  /**
   * The host's writer died with the journal of `spec`: that journal stays as a kill would leave it (what
   * was sealed verifies), and a running capture goes on in a new one.
   */
  private async journalLost(spec: JournalSpec): Promise<void> {
    const seg = this.hosted.get(spec.serial);
    if (seg === undefined) return;
    this.hosted.delete(spec.serial);
    const running = this.running === seg && !this.closed;
    if (running) {
      seg.stoppedAt = Math.max(this.clock.now(), seg.lastTs() ?? 0, seg.startedAt, 1);
      this.running = null;
    }
    // Records journaled there that never reached this thread still took their seqs.
    this.seq = Math.max(this.seq, await lastJournalSeq(spec.path));
    if (!running) return;
    this.report(
      `capture ${seg.id}: its journal ended when the DNS thread stopped (what was sealed is kept); recording goes on in a new capture`,
    );
    if (!(await this.writeMeta(seg))) {
      this.metaPending.add(seg);
      this.armFlush();
    }
    if (!this.closed && this.running === null) this.start();
  }

  /** Stops the running capture: sets stoppedAt, flushes its journal, writes capture.json. Null when none ran. */
  async stop(): Promise<CaptureInfo | null> {
    const seg = this.running;
    const writer = this.writer;
    const host = this.host;
    if (seg === null || (writer === null && host === null)) return null;
    seg.stoppedAt = Math.max(this.clock.now(), seg.startedAt, 1);
    this.running = null;
    this.writer = null;
    const done = (async () => {
      let complete = false;
      if (writer !== null) {
        await this.retireWriter(writer);
        complete = writer.unwrittenBytes === 0 && writer.dropped === 0;
      } else if (host !== null) complete = await this.stopHosted(host, seg);
      this.metaPending.delete(seg);
      if (!(await this.writeMeta(seg))) this.metaPending.add(seg);
      // Only for a journal that holds every record: the next start then counts it without reading it, and
      // its rows can be read back from it, so they go to the cache.
      if (complete && (await this.saveCheckpoint(seg)) && !this.eagerRows && !this.closed)
        this.cacheRows(seg);
      if (this.unwritten) this.armFlush();
    })();
    this.stops = Promise.all([this.stops, done]);
    await done;
    return seg.info();
  }

  /**
   * Has the host close `seg`'s journal: capture.json says stopped only once its journal is sealed and closed.
   * True when the journal holds every record.
   */
  private async stopHosted(host: JournalHost, seg: CaptureSegment): Promise<boolean> {
    const end = await host.stopJournal();
    for (const [serial, s] of this.hosted) if (s === seg) this.hosted.delete(serial);
    // Records numbered after stop() was called are in it, and so in its time span.
    seg.stoppedAt = Math.max(seg.stoppedAt, seg.lastTs() ?? 0);
    if (end === null) return false;
    this.seq = Math.max(this.seq, end.lastSeq);
    // Lines the journal had to drop still used up their seq; keep later seqs above it after a restart.
    if (end.dropped > 0) await this.saveSeqMark();
    return end.complete;
  }

  /** Whether record() currently records (a capture is running). */
  get isRecording(): boolean {
    return this.running !== null;
  }

  current(): CaptureInfo | null {
    return this.running ? this.running.info() : null;
  }

  /** Every retained capture, oldest first, including the running one. */
  captures(): CaptureInfo[] {
    return this.segments.map((seg) => seg.info());
  }

  record(rec: ExchangeRecord): void {
    if (rec.journaled !== undefined) return this.index(rec.journaled, rec);
    const seg = this.running;
    const writer = this.writer;
    if (seg === null || writer === null) return;
    try {
      const seq = this.seq + 1;
      this.seq = seq;
      const time = this.recordTimes.format(rec.ts);
      seg.add(seq, rec, this.recordTimes.lastOffset);
      this.rate.add(rec.ts);
      writer.appendRecord(seq, time, seg.id, rec);
      if (this.flushTimer === null) this.armFlush();
      // One early flush at a time, and none while the disk fails: the periodic flush retries then.
      if (!this.flushQueued && writer.unwrittenBytes >= EARLY_FLUSH_BYTES && !writer.isFailing) {
        this.flushQueued = true;
        setImmediate(this.runQueuedFlush);
      }
      this.live(seq, time, seg, rec);
    } catch (err) {
      this.warn('record', `capture: could not record a query (${messageOf(err)}); recording continues`);
    }
  }

  /**
   * Takes `count` seqs for an imported capture's records, after every seq handed out so far; returns the one
   * before them. While a host numbers the running capture's records, it hands them out (records it numbered
   * earlier arrive first), so no seq is given twice.
   */
  private async takeSeqs(count: number): Promise<number> {
    const above = this.seq;
    const base = this.host === null ? above : await this.host.reserveSeqs(count, above);
    this.seq = Math.max(this.seq, base + count);
    return base;
  }

  /** A record the host journaled as `num`: indexed into the capture whose journal holds it. */
  private index(num: JournalNumber, rec: ExchangeRecord): void {
    const seg = this.hosted.get(num.journal);
    if (seg === undefined) return;
    try {
      if (num.seq > this.seq) this.seq = num.seq;
      seg.add(num.seq, rec, num.offset);
      this.rate.add(rec.ts);
      this.live(num.seq, num.time, seg, rec);
    } catch (err) {
      this.warn('record', `capture: could not record a query (${messageOf(err)}); recording continues`);
    }
  }

  private live(seq: number, time: string, seg: CaptureSegment, rec: ExchangeRecord): void {
    // Event objects exist only for listeners; the store itself keeps columns.
    if (this.batcher.size > 0) {
      if (this.batcher.push(toEvent(seq, time, seg.id, rec)) && !this.tickQueued) {
        this.tickQueued = true;
        setImmediate(this.runQueuedTick);
      }
      if (this.batchTimer === null) this.armBatch();
    }
  }

  /**
   * Live events in numbered batches (every batchIntervalMs, sooner at batchMaxEvents). A listener that
   * falls more than `maxPending` events behind (default 20,000) loses the oldest, counted in `dropped`.
   */
  subscribe(listener: (b: QueryBatch) => void, opts?: { maxPending?: number }): () => void {
    return this.batcher.subscribe(listener, opts?.maxPending ?? DEFAULT_MAX_PENDING);
  }

  /**
   * Per-client totals across all retained captures, most queries first. Kept until the next record or
   * change of captures, so paging through 100,000 clients sorts them once; callers must not change it.
   */
  clients(): readonly ClientSummary[] {
    const c = this.clientsCache;
    if (c !== null && c.seq === this.seq && c.layout === this.layout && c.segments === this.segments.length)
      return c.list;
    const merged = new Map<string, ClientSummary>();
    for (const seg of this.segments) seg.mergeClients(merged);
    const list = [...merged.values()].sort(
      (a, b) => b.queries - a.queries || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0),
    );
    this.clientsCache = { seq: this.seq, layout: this.layout, segments: this.segments.length, list };
    return list;
  }

  /** Per-minute per-client counts of the last `rangeMinutes` minutes (0 = all), non-empty minutes only, oldest first. */
  minutes(rangeMinutes: number): MinuteBucket[] {
    const from =
      rangeMinutes > 0
        ? minuteOf(this.clock.now()) - (Math.floor(rangeMinutes) - 1) * MINUTE_MS
        : Number.NEGATIVE_INFINITY;
    const merged = new Map<number, Record<string, number>>();
    for (const seg of this.segments) seg.mergeMinutes(merged, from);
    return toMinuteBuckets(merged);
  }

  /** The newest events across captures, oldest first; at most recentLimit. */
  recent(limit = this.recentLimit): QueryEvent[] {
    let n = Math.max(0, Math.min(Math.floor(limit), this.recentLimit));
    const out: QueryEvent[] = [];
    for (let s = this.segments.length - 1; s >= 0 && n > 0; s--) {
      const seg = this.segments[s]!;
      let cols = this.rowsOf(seg);
      if (cols === null) {
        // The last rows read at the start: enough while no more of them are wanted than it holds.
        const tail = this.recentTails.get(seg);
        if (tail !== undefined && tail.length >= Math.min(n, seg.queries)) cols = tail;
      }
      if (cols === null) {
        // Its last rows are still being read at the start (or could not be): the tail ends here.
        if (seg.queries > 0) break;
        continue;
      }
      for (let row = cols.length - 1; row >= 0 && n > 0; row--, n--) out.push(this.eventAt(seg, cols, row));
    }
    return out.reverse();
  }

  /**
   * How often journals were read since open(): tails for a last seq, whole journals for a stopped capture's
   * rows (see `reads`). For tests and the benchmark.
   */
  journalReads(): { readonly tails: number; readonly rows: number } {
    return { ...this.reads };
  }

  /** Highest seq handed out so far (continues across restarts). */
  lastSeq(): number {
    return this.seq;
  }

  /** Events of all retained captures (counted, whether their rows are read yet or not). */
  total(): number {
    let n = 0;
    for (const seg of this.segments) n += seg.queries;
    return n;
  }

  /** Queries per second over the last 10 whole seconds. */
  qps(): number {
    return this.rate.rate(this.clock.now(), 10);
  }

  /**
   * Calls `visit` for every retained event that matched a watchlist rule when it was recorded, oldest first.
   * Reads the columns directly: no event objects are built.
   */
  forEachWatched(visit: WatchedVisitor): void {
    for (const seg of this.segments) seg.forEachWatched(visit);
  }

  /**
   * Calls `visit` with the columns and row of every event recorded after `cursor` (every retained event for
   * null), oldest capture first, and returns the cursor for the next call; null when captures were deleted
   * since `cursor` was handed out (start over from null). At most `maxRows` rows per call, so a long
   * capture can be read in slices between other work. Stops short at a stopped capture whose rows are not in
   * memory, with the cursor's `loading` set: they are being read back, call again once it resolves. Builds no
   * event objects.
   */
  scanSince(
    cursor: StoreCursor | null,
    visit: (cols: EventColumns, row: number) => void,
    maxRows = Number.POSITIVE_INFINITY,
  ): StoreCursor | null {
    if (cursor !== null && cursor.layout !== this.layout) return null;
    let segment = cursor?.segment ?? 0;
    let row = cursor?.row ?? 0;
    let budget = maxRows;
    for (; segment < this.segments.length; segment++, row = 0) {
      const seg = this.segments[segment]!;
      const cols = this.scanRowsOf(seg);
      if (cols === null) {
        // Read to its end already (its rows since evicted), or none to read: on to the next capture.
        if (row < (this.rowCounts.get(seg) ?? seg.queries) && !this.rowsUnreadable.has(seg))
          return { layout: this.layout, segment, row, loading: this.holdForScan(seg) };
        if (segment === this.segments.length - 1) return { layout: this.layout, segment, row };
        continue;
      }
      const end = cols.length;
      for (; row < end; row++) {
        // Out of budget: stop here, the next call goes on from this row.
        if (budget-- <= 0) return { layout: this.layout, segment, row };
        visit(cols, row);
      }
      if (segment === this.segments.length - 1) return { layout: this.layout, segment, row };
    }
    return { layout: this.layout, segment: Math.max(0, this.segments.length - 1), row };
  }

  /** The rows scanSince reads for `seg`: those it waited for, else those in memory. */
  private scanRowsOf(seg: CaptureSegment): EventColumns | null {
    const held = this.scanHeld;
    if (held !== null && held.seg === seg) return held.cols;
    // Passed: the cache alone decides what stays.
    held?.cols.unpin();
    this.scanHeld = null;
    return this.rowsOf(seg);
  }

  /** Reads back `seg`'s rows for scanSince and holds them for its next call. Never rejects. */
  private async holdForScan(seg: CaptureSegment): Promise<void> {
    const cols = await this.needRows(seg);
    // Let go meanwhile: scanSince asks again.
    if (cols?.isReleased === true) return;
    if (cols !== null) {
      cols.pin();
      this.scanHeld?.cols.unpin();
      this.scanHeld = { seg, cols };
    } else if (!this.closed && this.segments.includes(seg)) this.rowsUnreadable.add(seg);
  }

  /**
   * Events matching the filter (client exact, name case-insensitive substring, from inclusive, to
   * exclusive, captureId; empty strings mean any), newest first, paged (limit default 100, at most 1000).
   * A stopped capture's rows are read back from its journal when the page reaches them or its matches were
   * never counted (see rowCacheBytes); past it, paging uses the counts. Never rejects.
   */
  async query(req: QueryListRequest): Promise<QueryPage> {
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(req.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT));
    const offset = Math.max(0, Math.floor(req.offset ?? 0) || 0);
    const key = CaptureStore.filterKey(req);
    const events: QueryEvent[] = [];
    let total = 0;
    // As they are now: the newest (the running capture) is scanned before anything is awaited.
    const segments = [...this.segments];
    for (let s = segments.length - 1; s >= 0; s--) {
      const seg = segments[s]!;
      let cols = seg.hasRows || this.eagerRows ? seg.columns : null;
      if (cols === null) {
        const known = this.countWithoutRows(seg, req, key);
        // Counted without its rows, and no row of it on this page: paged past without reading them.
        if (known !== null && (known === 0 || total + known <= offset || total >= offset + limit)) {
          total += known;
          continue;
        }
        cols = await this.needRows(seg);
        // Let go by the cache between the read and now (another reader's rows took the room): read again.
        while (cols?.isReleased === true) cols = await this.needRows(seg);
        if (cols === null) continue;
      }
      const filter = seg.compile(req, cols);
      let n = 0;
      if (filter !== null)
        cols.scan(filter, 0, cols.length, true, (row) => {
          if (total >= offset && events.length < limit) events.push(this.eventAt(seg, cols, row));
          total++;
          n++;
        });
      if (!seg.running && !seg.hasRows) this.rememberCount(seg, key, n);
    }
    return { total, offset, limit, events };
  }

  /**
   * The filtered events as CSV (see csv.ts): header first, oldest first, chunks of about 64 KiB. Covers
   * the events held when called; yields to the event loop between chunks. `devices` fills the device columns
   * (looked up once per client and export); without it they hold the address only.
   */
  csv(filter: QueryFilter, devices: CsvDeviceLookup = unknownCsvDevice): AsyncIterable<string> {
    // The rows held now; a stopped capture's are all of its journal's.
    const parts = this.segments.map((seg) => ({
      seg,
      end: seg.hasRows ? seg.length : Number.POSITIVE_INFINITY,
    }));
    return csvChunksOf(this.csvBatches(parts, filter, new CsvRows(filter, devices)));
  }

  /** Each capture's CSV rows in turn: from memory when held, else from its journal a piece at a time. */
  private async *csvBatches(
    parts: readonly { seg: CaptureSegment; end: number }[],
    filter: QueryFilter,
    rows: CsvRows,
  ): AsyncGenerator<Iterable<string>> {
    for (const { seg, end } of parts) {
      // Skipped without reading its rows when its counts say none matches.
      if (!seg.hasRows && seg.knownCount(filter) === 0) continue;
      const cols = this.rowsOf(seg);
      if (cols !== null) {
        // Kept readable while the reader takes them, should the cache let them go meanwhile.
        cols.pin();
        try {
          yield rows.of(seg, cols, Math.min(end, cols.length));
        } finally {
          cols.unpin();
        }
      }
      // Not in memory: read straight from its journal, past the cache (an export passes each row once).
      else for await (const piece of this.streamRows(seg)) yield rows.of(seg, piece, piece.length);
    }
  }

  /** Writes waiting journal lines (and any capture.json not yet saved); never rejects. */
  async flush(): Promise<void> {
    if (this.host !== null) await this.host.flushJournal();
    const writer = this.writer;
    if (writer !== null) await writer.flush();
    for (const w of [...this.draining]) {
      await w.flush();
      if (w.unwrittenBytes === 0) this.forgetWriter(w);
    }
    for (const seg of [...this.metaPending]) {
      if (await this.writeMeta(seg)) this.metaPending.delete(seg);
    }
  }

  /**
   * Flushes, stops the timers and closes the journal. Does not stop the capture: its capture.json still
   * says running, so the next open() loads it as interrupted.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.retentionTimer, this.flushTimer, this.batchTimer])
      if (t !== null) this.clock.clearTimeout(t);
    if (this.retentionTimer !== null) this.clock.clearInterval(this.retentionTimer);
    this.retentionTimer = this.flushTimer = this.batchTimer = null;
    // The history load and any read of rows stop at their next slice.
    await this.historyRun;
    await this.recentRead;
    await Promise.all(this.rowLoads.values());
    this.batcher.tick(Number.POSITIVE_INFINITY);
    const writer = this.writer;
    this.writer = null;
    if (writer !== null) await this.retireWriter(writer);
    // The running capture's journal is sealed and closed; its capture.json still says running.
    if (this.host !== null && this.running !== null) await this.host.stopJournal();
    this.hosted.clear();
    await this.stops;
    await this.retention;
    await this.flush();
    for (const w of this.draining) {
      this.report(
        `capture journal ${w.path}: ${w.unwrittenBytes} bytes of queries could not be written before closing and are lost`,
      );
    }
    this.draining.clear();
  }

  /** Changes how long stopped captures are kept (0: forever), from the next retention pass on. */
  setRetentionDays(days: number): void {
    this.retentionMs = days > 0 ? days * DAY_MS : 0;
  }

  /** Whether recording reaches the disk: the first write error of any open journal, and the records lost. */
  storage(): StorageStatus {
    let error = '';
    let lost = this.lostBefore;
    for (const w of [this.writer, ...this.draining]) {
      if (w === null) continue;
      if (error === '') error = w.writeError;
      lost += w.dropped;
    }
    if (this.host !== null) {
      const h = this.host.journalStorage();
      if (error === '') error = h.error;
      lost += h.lostRecords;
    }
    return { error, lostRecords: lost };
  }

  /** Deletes stopped captures whose stoppedAt is older than retentionDays; resolves with their ids. */
  applyRetention(): Promise<string[]> {
    const run = this.retention.then(() => this.prune());
    this.retention = run;
    return run;
  }

  /**
   * Loads the imported captures that appeared in the captures folder since open() (import/ writes each one
   * whole and renames it into place), in time order among the others; resolves with them. Never rejects.
   */
  async adopt(): Promise<CaptureInfo[]> {
    if (this.closed) return [];
    let entries: string[];
    try {
      entries = (await readdir(this.capturesDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && CAPTURE_ID_PATTERN.test(d.name))
        .map((d) => d.name);
    } catch {
      return [];
    }
    const added: CaptureSegment[] = [];
    // A capture open() found is loadHistory()'s to read: it is in `pending` until it joins `segments` (the
    // running capture's new folder wakes the inbox while the history loads; taking it here too lists it twice).
    const known = (id: string): boolean =>
      this.segments.some((seg) => seg.id === id) || this.pending.some((p) => p.id === id);
    for (const id of entries) {
      if (known(id)) continue;
      const dir = join(this.capturesDir, id);
      const meta = await readCaptureMeta(join(dir, META_FILE));
      // Only finished imports: a folder without a source is not ours to take.
      if (!meta?.source || meta.stoppedAt === 0 || known(id)) continue;
      const seg = await this.loadSegment(id, dir, meta);
      if (seg === null) continue;
      added.push(seg);
      this.segments.push(seg);
    }
    if (added.length > 0) {
      this.segments.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // Positions moved: scanSince cursors start over.
      this.layout++;
    }
    return added.map((seg) => seg.info());
  }

  /** Closes a capture's journal; what a failing disk still refuses is retried by later flushes. */
  private async retireWriter(writer: JournalWriter): Promise<void> {
    // Counted here from now on (storage()), whether it drains or not.
    this.draining.add(writer);
    await writer.close();
    if (writer.unwrittenBytes === 0) this.forgetWriter(writer);
    // Lines the journal had to drop still used up their seq; keep later seqs above it after a restart.
    if (writer.dropped > 0) await this.saveSeqMark();
  }

  /** A journal that has written all it will: its losses stay counted in storage(). */
  private forgetWriter(writer: JournalWriter): void {
    if (this.draining.delete(writer)) this.lostBefore += writer.dropped;
  }

  private readonly runQueuedFlush = (): void => {
    this.flushQueued = false;
    void this.flush();
  };

  private readonly runQueuedTick = (): void => {
    this.tickQueued = false;
    this.batcher.tick(this.clock.now());
  };

  private startTimers(): void {
    this.retentionTimer = this.clock.setInterval(() => void this.applyRetention(), HOUR_MS);
    // Something loaded may still need writing (a capture.json to repair).
    if (this.metaPending.size > 0) this.armFlush();
  }

  /** Whether anything waits to be written: journal lines, a draining journal, a capture.json. */
  private get unwritten(): boolean {
    return (this.writer?.unwrittenBytes ?? 0) > 0 || this.draining.size > 0 || this.metaPending.size > 0;
  }

  /**
   * Flushes within flushIntervalMs of the first thing to write, and again while anything still waits (a
   * failing disk is retried at that pace); an idle store sets no timer at all.
   */
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

  /** Delivers live batches every batchIntervalMs while events wait for a listener, and not otherwise. */
  private armBatch(): void {
    if (this.batchTimer !== null || this.closed) return;
    this.batchTimer = this.clock.setTimeout(this.onBatchTimer, this.batchIntervalMs);
  }

  private readonly onBatchTimer = (): void => {
    this.batchTimer = null;
    this.batcher.tick(this.clock.now());
    if (this.batcher.hasPending) this.armBatch();
  };

  private eventAt(seg: CaptureSegment, cols: EventColumns, row: number): QueryEvent {
    return cols.event(row, seg.id, this.readTimes.format(cols.ts(row), cols.offset(row)));
  }

  private uniqueId(now: number): string {
    const taken = (id: string): boolean =>
      this.segments.some((s) => s.id === id) || existsSync(join(this.capturesDir, id));
    for (let i = 0; i < 16; i++) {
      const id = newCaptureId(now);
      if (!taken(id)) return id;
    }
    let n = 1;
    while (taken(`${newCaptureId(now)}-${n}`)) n++;
    return `${newCaptureId(now)}-${n}`;
  }

  private cutoff(now: number): number {
    return this.retentionMs > 0 ? now - this.retentionMs : Number.NEGATIVE_INFINITY;
  }

  private async load(): Promise<void> {
    try {
      await ensureDir(this.capturesDir);
    } catch (err) {
      this.warn(
        'data-dir',
        `capture store: cannot create ${this.capturesDir}: ${describeFsError(err).text}; captures are kept in memory only until it works`,
      );
      return;
    }
    this.seq = await this.readSeqMark();
    let entries: string[];
    try {
      entries = (await readdir(this.capturesDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && CAPTURE_ID_PATTERN.test(d.name))
        .map((d) => d.name);
    } catch (err) {
      this.warn('data-dir', `capture store: cannot list ${this.capturesDir}: ${describeFsError(err).text}`);
      return;
    }
    const cutoff = this.cutoff(this.clock.now());
    const expired: string[] = [];
    const pending: PendingCapture[] = [];
    for (const id of entries) {
      const dir = join(this.capturesDir, id);
      const meta = await readCaptureMeta(join(dir, META_FILE));
      if (meta?.source) {
        // An import numbers its records from 1, apart from this store's seqs (loadSegment places them after).
        if (keptSince(meta) < cutoff) expired.push(id);
        else pending.push({ id, dir, meta, bytes: await journalBytes(join(dir, JOURNAL_FILE)) });
        continue;
      }
      // Seqs recorded from now on continue above it, whenever (if ever) the journal is read.
      this.seq = Math.max(this.seq, await this.lastSeqOf(id, dir, meta));
      if (meta !== null && meta.stoppedAt > 0 && keptSince(meta) < cutoff) {
        expired.push(id);
        continue;
      }
      pending.push({ id, dir, meta, bytes: await journalBytes(join(dir, JOURNAL_FILE)) });
    }
    const started = (p: PendingCapture): number => p.meta?.startedAt ?? 0;
    pending.sort((a, b) => started(a) - started(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.pending = pending;
    this.historyProgress.captures = pending.length;
    this.historyProgress.bytes = pending.reduce((n, p) => n + p.bytes, 0);
    if (expired.length > 0) {
      await this.saveSeqMark();
      for (const id of expired) await this.removeCaptureDir(id);
    }
  }

  /**
   * The last seq of capture `id`'s journal: from a stopped capture's valid checkpoint (no journal read), else
   * from the journal's tail. A checkpoint found unusable here is reported when loadHistory() reads it.
   */
  private async lastSeqOf(id: string, dir: string, meta: CaptureMeta | null): Promise<number> {
    const journal = join(dir, JOURNAL_FILE);
    if (meta !== null && meta.stoppedAt > 0) {
      const head = await readCheckpointHead(dir, id, journal);
      if (head.kind === 'ok') return head.data.lastSeq;
    }
    this.reads.tails++;
    return lastJournalSeq(journal);
  }

  private async loadSegment(
    id: string,
    dir: string,
    meta: CaptureMeta | null,
  ): Promise<CaptureSegment | null> {
    const seg = new CaptureSegment(id, meta?.startedAt ?? 0, meta?.stoppedAt ?? 0);
    seg.source = meta?.source ?? null;
    // An imported journal numbers its records from 1: they follow every seq handed out so far here, and
    // their range is taken before the (sliced) read, as the running capture may hand out seqs meanwhile.
    let base = 0;
    if (seg.source !== null) {
      base = await this.takeSeqs(await lastJournalSeq(join(dir, JOURNAL_FILE)));
      seg.seqBase = base;
    }
    let scan: JournalScan | null = null;
    try {
      scan = await scanJournal(
        join(dir, JOURNAL_FILE),
        (ev) => seg.add(base + ev.seq, ev, ev.offset),
        seg.source === null,
        {
          chunkBytes: this.historySliceBytes,
          onChunk: (bytes) => void (this.historyProgress.read += bytes),
          stop: () => this.closed,
        },
      );
    } catch (err) {
      this.warn(`read:${id}`, `capture ${id}: cannot read its journal: ${describeFsError(err).text}`);
    }
    if (meta === null && seg.length === 0) return null;
    if (this.closed) return seg;
    this.seq = Math.max(this.seq, seg.lastSeq());
    if (scan !== null) this.reportScan(id, scan);
    if (meta === null || meta.stoppedAt === 0) {
      // Cut short by a crash or kill (or capture.json lost): it ended with its last event.
      if (meta === null) seg.startedAt = seg.columns.ts(0);
      seg.stoppedAt = Math.max(seg.lastTs() ?? seg.startedAt, seg.startedAt, 1);
      if (!(await this.writeMeta(seg))) this.metaPending.add(seg);
    }
    // Read whole: the next start counts it from its checkpoint.
    if (scan !== null && !this.closed) {
      await this.saveCheckpoint(seg);
      // Its rows go to the cache like any read back: memory stays bounded on a start without checkpoints too.
      if (!this.eagerRows) this.cacheRows(seg);
    }
    return seg;
  }

  private reportScan(id: string, scan: JournalScan): void {
    if (scan.corrupt > 0) {
      this.warn(`corrupt:${id}`, `capture ${id}: skipped ${scan.corrupt} unreadable journal line(s)`);
    }
    if (scan.tailBytes > 0) {
      const fix = scan.truncateError
        ? `; could not cut it off (${scan.truncateError})`
        : '; cut it off so the journal ends on a complete line';
      this.warn(
        `tail:${id}`,
        `capture ${id}: the journal ended with ${scan.tailBytes} bytes of an unfinished line (the app stopped while writing)${fix}`,
      );
    }
  }

  private async prune(): Promise<string[]> {
    try {
      const cutoff = this.cutoff(this.clock.now());
      const doomed = this.segments.filter(
        (s) => s !== this.running && s.stoppedAt > 0 && keptSince(s) < cutoff,
      );
      if (doomed.length === 0) return [];
      this.segments = this.segments.filter((s) => !doomed.includes(s));
      this.layout++;
      for (const seg of doomed) {
        this.metaPending.delete(seg);
        this.rowCache.delete(seg);
      }
      await this.saveSeqMark();
      for (const seg of doomed) await this.removeCaptureDir(seg.id);
      return doomed.map((s) => s.id);
    } catch (err) {
      this.warn('retention', `capture store: retention failed: ${messageOf(err)}`);
      return [];
    }
  }

  private async removeCaptureDir(id: string): Promise<void> {
    try {
      await rm(join(this.capturesDir, id), { recursive: true, force: true });
    } catch (err) {
      this.warn(`rm:${id}`, `capture ${id}: cannot delete expired capture: ${describeFsError(err).text}`);
    }
  }

  /** Writes capture.json atomically; false (after a warning) when it could not. */
  private async writeMeta(seg: CaptureSegment): Promise<boolean> {
    const dir = join(this.capturesDir, seg.id);
    try {
      await ensureDir(dir);
      await writeFileAtomic(join(dir, META_FILE), captureMetaText(seg));
      return true;
    } catch (err) {
      this.metaWarning(seg.id, err);
      return false;
    }
  }

  private metaWarning(id: string, err: unknown): void {
    const { kind, text } = describeFsError(err);
    this.warn(`meta:${kind}`, `capture ${id}: cannot save ${META_FILE}: ${text}; will retry`);
  }

  private async readSeqMark(): Promise<number> {
    try {
      const v: unknown = JSON.parse(await readFile(join(this.capturesDir, SEQ_FILE), 'utf8'));
      const last = typeof v === 'object' && v !== null ? (v as { lastSeq?: unknown }).lastSeq : undefined;
      return typeof last === 'number' && Number.isSafeInteger(last) && last > 0 ? last : 0;
    } catch {
      return 0;
    }
  }

  private async saveSeqMark(): Promise<void> {
    try {
      await writeFileAtomic(join(this.capturesDir, SEQ_FILE), `${JSON.stringify({ lastSeq: this.seq })}\n`);
    } catch (err) {
      this.warn('seq', `capture store: cannot save ${SEQ_FILE}: ${describeFsError(err).text}`);
    }
  }

  private warn(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.report(message);
  }

  private report(message: string): void {
    try {
      this.onWarning(message);
    } catch {
      // A failing warning sink must not break recording.
    }
  }
}

/** What retention counts a stopped capture's age from: its end, or for an import the time it was imported. */
function keptSince(c: {
  readonly stoppedAt: number;
  readonly source?: { readonly importedAt: number } | null;
}): number {
  return c.source ? Math.max(c.stoppedAt, c.source.importedAt) : c.stoppedAt;
}

/** The QueryEvent for a record; copies the fields so the wire bytes are not handed to listeners. */
function toEvent(seq: number, time: string, captureId: string, rec: ExchangeRecord): QueryEvent {
  return {
    seq,
    ts: rec.ts,
    time,
    captureId,
    client: rec.client,
    clientPort: rec.clientPort,
    transport: rec.transport,
    qname: rec.qname,
    qtype: rec.qtype,
    rcode: rec.rcode,
    answers: rec.answers,
    latencyMs: rec.latencyMs,
    upstream: rec.upstream,
    size: rec.size,
    error: rec.error,
    watchRule: rec.watchRule,
    ...(rec.source ? { source: rec.source } : {}),
  };
}

/** CSV rows (without line ends) of one export: each capture's in turn, oldest first. */
class CsvRows {
  private readonly times = new LocalTimeFormatter();
  private readonly deviceCells = new Map<string, string>();

  constructor(
    private readonly filter: QueryFilter,
    private readonly devices: CsvDeviceLookup,
  ) {}

  private deviceOf(address: string): string {
    let cells = this.deviceCells.get(address);
    if (cells === undefined) {
      cells = csvDeviceCells(this.devices(address));
      this.deviceCells.set(address, cells);
    }
    return cells;
  }

  /** The rows of capture `seg` among the first `end` of `cols` that match. */
  *of(seg: CaptureSegment, cols: EventColumns, end: number): Generator<string> {
    const filt = seg.compile(this.filter, cols);
    if (filt === null) return;
    const times = this.times;
    const rows: number[] = [];
    // Each distinct string is escaped once per capture.
    const cache = (table: StringTable): ((id: number) => string) => {
      const cells: (string | undefined)[] = [];
      return (id) => (cells[id] ??= csvCell(table.value(id)));
    };
    const client = cache(cols.clients);
    const qname = cache(cols.qnames);
    const qtype = cache(cols.qtypes);
    const rcode = cache(cols.rcodes);
    const answers = cache(cols.answers);
    const upstream = cache(cols.upstreams);
    const watchRule = cache(cols.watchRules);
    const device: (string | undefined)[] = [];
    const deviceCell = (id: number): string => (device[id] ??= this.deviceOf(cols.clients.value(id)));
    for (let start = 0; start < end; start += CSV_SLICE) {
      rows.length = 0;
      cols.scan(filt, start, Math.min(end, start + CSV_SLICE), false, (row) => void rows.push(row));
      for (const row of rows) {
        yield `${csvCell(times.format(cols.ts(row), cols.offset(row)))},${client(cols.clientId(row))},${qname(cols.qnameId(row))},${qtype(
          cols.qtypeId(row),
        )},${rcode(cols.rcodeId(row))},${answers(cols.answersId(row))},${csvLatency(cols.latencyMs(row))},${upstream(
          cols.upstreamId(row),
        )}${deviceCell(cols.clientId(row))},${watchRule(cols.watchRuleId(row))}`;
      }
    }
  }
}
