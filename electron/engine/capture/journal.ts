import { mkdirSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CaptureSource, SourceFile } from '@shared/events';
import type { StoredEvent } from './columns';
import type { ExchangeRecord } from './types';
import {
  ChainState,
  GENESIS,
  isLossBytes,
  isSealBytes,
  lossLine,
  parseLossLine,
  parseSealLine,
  sealLine,
} from './chain';
import { encodeJournalLine, journalLineMaxBytes } from './journal-encode';
import { compressedPath, encodeFrame, frameSummary, plainStart, readFrames } from './journal-frames';
import { localOffset, offsetOfIso } from './local-time';

export const JOURNAL_FILE = 'journal.ndjson';
/**
 * Sealed lines a capture's journal compresses at a time (JournalWriter's compactBytes): about 8 minutes of a
 * household's queries at 5 a second, 0.15 s at 15,000. Each frame costs a read-back, an fdatasync, a rename
 * and some ten file calls whatever its size, which at 256 KiB was 26 frames a second under full load; deflate
 * gains little beyond its 32 KiB window, and a bigger frame keeps more plain.
 */
export const JOURNAL_FRAME_BYTES = 1024 * 1024;
export const META_FILE = 'capture.json';
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'input/output error from the disk',
  ENOTDIR: 'a file is in the way where a folder is needed',
  EISDIR: 'a folder is in the way where a file is needed',
  ENOENT: 'the folder does not exist',
  EMFILE: 'too many open files',
};

/** A short readable reason for a file-system error plus its kind (the errno code), for one-line warnings. */
export function describeFsError(err: unknown): { readonly kind: string; readonly text: string } {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string') return { kind: 'unknown', text: message };
  const reason = REASONS[code];
  return { kind: code, text: reason ? `${reason} (${code})` : message };
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function notAFolder(path: string): Error {
  return Object.assign(new Error(`${path} exists and is not a folder`), { code: 'ENOTDIR' });
}

/**
 * Creates `path` and its missing parents with mode 0700 (an existing folder is fine). Written out
 * because Node 20's recursive mkdir never settles for some paths (e.g. under /proc).
 */
export async function ensureDir(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: DIR_MODE });
    return;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') {
      if ((await stat(path)).isDirectory()) return;
      throw notAFolder(path);
    }
    const parent = dirname(path);
    if (errorCode(err) !== 'ENOENT' || parent === path) throw err;
    await ensureDir(parent);
  }
  // Second and last attempt once the parent exists.
  try {
    await mkdir(path, { mode: DIR_MODE });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    if (!(await stat(path)).isDirectory()) throw notAFolder(path);
  }
}

/** ensureDir for the rare synchronous caller (starting a capture). */
export function ensureDirSync(path: string): void {
  try {
    mkdirSync(path, { mode: DIR_MODE });
    return;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw notAFolder(path);
    }
    const parent = dirname(path);
    if (errorCode(err) !== 'ENOENT' || parent === path) throw err;
    ensureDirSync(parent);
  }
  try {
    mkdirSync(path, { mode: DIR_MODE });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    if (!statSync(path).isDirectory()) throw notAFolder(path);
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The stored fields of one journal line, or null when the line is not a journal event. Never throws. */
export function parseJournalLine(text: string): StoredEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const { seq, ts } = o;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= 0) return null;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return null;
  if (typeof o.client !== 'string' || typeof o.qname !== 'string') return null;
  const time = str(o.time);
  return {
    seq,
    ts,
    // Journals always carry the recorded time; fall back to this machine's zone for a line without one.
    offset: offsetOfIso(time) ?? localOffset(ts),
    client: o.client,
    clientPort: num(o.clientPort),
    transport: o.transport === 'tcp' ? 'tcp' : 'udp',
    qname: o.qname,
    qtype: str(o.qtype),
    rcode: str(o.rcode),
    answers: str(o.answers),
    latencyMs: num(o.latencyMs),
    upstream: str(o.upstream),
    size: num(o.size),
    error: str(o.error),
    watchRule: str(o.watchRule),
    // Written only for exchanges observed through dnstap; older journals have none.
    ...(typeof o.src === 'string' && o.src !== '' ? { source: o.src } : {}),
  };
}

/** What reading a journal found. */
export interface JournalScan {
  readonly events: number;
  /** Unreadable lines between good ones: skipped. */
  readonly corrupt: number;
  /** Bytes after the last good line (a torn or corrupt tail), cut off when `truncate` was asked. */
  readonly tailBytes: number;
  /** Why cutting the tail failed, "" when it worked or was not needed. */
  readonly truncateError: string;
}

const READ_CHUNK = 1 << 20;

/** How scanJournal reads: in slices of `chunkBytes`, reporting each, and stopping early when asked. */
export interface ScanOptions {
  /** Bytes read (and parsed) per turn of the event loop; default 1 MiB. */
  readonly chunkBytes?: number;
  /** Called with the bytes of each slice once it is parsed; a promise it returns is waited for (a reader's pace). */
  readonly onChunk?: (bytes: number) => void | Promise<void>;
  /** Checked between slices: true ends the scan there (nothing is cut off then). */
  readonly stop?: () => boolean;
}

/**
 * Reads every good event of a journal in file order: its compressed frames (journal-frames.ts), then its
 * plain file. A torn or corrupt tail is skipped and, with `truncate`, cut back to the end of the last good
 * line (or frame) so later appends start clean; corrupt lines in the middle are skipped and counted, as is a
 * frame that cannot be decompressed; events whose seq does not increase count as corrupt. Resolves null
 * when neither file exists; rejects only when one cannot be read at all.
 */
export async function scanJournal(
  path: string,
  onEvent: (ev: StoredEvent) => void,
  truncateTail: boolean,
  opts: ScanOptions = {},
): Promise<JournalScan | null> {
  // The plain file first: one replaced after this (JournalWriter.compact) still reads whole through it.
  let fh: FileHandle | null = null;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  let events = 0;
  let corrupt = 0;
  let lastSeq = 0;
  let stopped = false;
  /** 'good', 'bad' (unreadable) or 'none' (an empty line) for the line from `start` to `end`. */
  const line = (data: Buffer, start: number, end: number): 'good' | 'bad' | 'none' => {
    if (end <= start) return 'none';
    // Seals of the hash chain and loss lines (chain.ts) are not events; good ones belong to the journal.
    if (isSealBytes(data, start, end))
      return parseSealLine(data.toString('utf8', start, end)) !== null ? 'good' : 'bad';
    if (isLossBytes(data, start, end))
      return parseLossLine(data.toString('utf8', start, end)) !== null ? 'good' : 'bad';
    const ev = parseJournalLine(data.toString('utf8', start, end));
    if (ev === null || ev.seq <= lastSeq) return 'bad';
    lastSeq = ev.seq;
    events++;
    onEvent(ev);
    return 'good';
  };

  const gzPath = compressedPath(path);
  let frames = 0;
  let lastSeal = 0;
  let tornFrame: { offset: number; length: number } | null = null;
  // The plain file stays open while the frames are read: closed here when they end the scan.
  const closePlain = async (): Promise<void> => void (await fh?.close().catch(() => undefined));
  try {
    for await (const f of readFrames(gzPath)) {
      if (opts.stop?.()) {
        stopped = true;
        break;
      }
      if (f.kind === 'torn') tornFrame = f;
      if (f.kind !== 'frame') {
        if (f.kind === 'bad') corrupt++;
        break;
      }
      frames++;
      lastSeal = f.header.sealTo;
      if (f.raw === null) corrupt++;
      else {
        let start = 0;
        for (let nl = f.raw.indexOf(10, start); nl >= 0; nl = f.raw.indexOf(10, start)) {
          if (line(f.raw, start, nl) === 'bad') corrupt++;
          start = nl + 1;
        }
        if (start < f.raw.length) corrupt++;
      }
      await opts.onChunk?.(f.length);
    }
  } catch (err) {
    await closePlain();
    throw err;
  }
  if (stopped) await closePlain();
  if (fh === null && frames === 0 && tornFrame === null) return null;

  let corruptSinceGood = 0;
  let goodEnd = 0;
  let fileSize = 0;
  if (fh !== null && !stopped) {
    try {
      goodEnd = await plainStart(fh, lastSeal);
      fileSize = goodEnd;
      const buf = Buffer.allocUnsafe(opts.chunkBytes ?? READ_CHUNK);
      let carry: Buffer | null = null;
      for (;;) {
        if (opts.stop?.()) {
          stopped = true;
          break;
        }
        const { bytesRead } = await fh.read(buf, 0, buf.length, fileSize);
        if (bytesRead === 0) break;
        const data: Buffer = carry
          ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
          : buf.subarray(0, bytesRead);
        const dataStart = fileSize - (carry ? carry.length : 0);
        fileSize += bytesRead;
        let start = 0;
        for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
          const kind = line(data, start, nl);
          if (kind === 'good') {
            corrupt += corruptSinceGood;
            corruptSinceGood = 0;
            goodEnd = dataStart + nl + 1;
          } else if (kind === 'bad') corruptSinceGood++;
          start = nl + 1;
        }
        // `buf` is reused by the next read, so keep a copy of the unfinished line.
        carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
        await opts.onChunk?.(bytesRead);
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
  let tailBytes = stopped ? 0 : fileSize - goodEnd;
  let truncateError = '';
  if (truncateTail && tailBytes > 0 && fh !== null) {
    try {
      await truncate(path, goodEnd);
    } catch (err) {
      truncateError = describeFsError(err).text;
    }
  }
  if (tornFrame !== null && !stopped) {
    // A frame cut off while it was written: its lines are still in the plain file (see compact()).
    tailBytes += tornFrame.length;
    if (truncateTail) {
      try {
        await truncate(gzPath, tornFrame.offset);
      } catch (err) {
        truncateError ||= describeFsError(err).text;
      }
    }
  }
  return { events, corrupt, tailBytes, truncateError };
}

const TAIL_BYTES = 256 * 1024;

/** The seq of the last good event of a journal (0 when none), reading only its end when it can. */
export async function lastJournalSeq(path: string): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return compressedLastSeq(path);
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const ev = parseJournalLine(lines[i]!);
      if (ev !== null) return ev.seq;
    }
    if (size <= TAIL_BYTES) return await compressedLastSeq(path);
  } catch {
    return 0;
  } finally {
    await fh.close().catch(() => undefined);
  }
  let last = 0;
  await scanJournal(path, (ev) => (last = ev.seq), false).catch(() => null);
  return last;
}

/** The last record's seq as the last compressed frame's header says (0 when there is none). */
async function compressedLastSeq(path: string): Promise<number> {
  try {
    return (await frameSummary(compressedPath(path))).last?.to ?? 0;
  } catch {
    return 0;
  }
}

/** Bytes a journal takes on disk: its plain file and its compressed frames (0 for what is missing). */
export async function journalBytes(path: string): Promise<number> {
  const size = (p: string): Promise<number> =>
    stat(p).then(
      (s) => s.size,
      () => 0,
    );
  return (await size(path)) + (await size(compressedPath(path)));
}

/** What capture.json holds. `stoppedAt` is 0 while the capture runs (or when it was cut short). */
export interface CaptureMeta {
  readonly id: string;
  readonly startedAt: number;
  readonly stoppedAt: number;
  /** Where an imported capture came from (import/); absent for captures recorded here. */
  readonly source?: CaptureSource | null;
}

export function captureMetaText(meta: CaptureMeta): string {
  const { id, startedAt, stoppedAt, source } = meta;
  return `${JSON.stringify(source ? { id, startedAt, stoppedAt, source } : { id, startedAt, stoppedAt })}\n`;
}

/** `source.partial` as capture.json holds it; anything unreadable but set counts as partial, never as whole. */
function parsePartial(v: unknown): CaptureSource['partial'] {
  if (v === false || v === undefined || v === null) return false;
  const o = typeof v === 'object' ? (v as Record<string, unknown>) : {};
  return {
    at: str(o.at),
    file: str(o.file),
    reason: str(o.reason),
    queries: num(o.queries),
    skipped: num(o.skipped),
  };
}

/** The source of an imported capture as capture.json holds it, or null when it has none that reads. */
function parseSource(v: unknown): CaptureSource | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.format !== 'string' || !Array.isArray(o.files)) return null;
  const files = parseFiles(o.files);
  return {
    format: o.format as CaptureSource['format'],
    files,
    name: str(o.name),
    importedAt: num(o.importedAt),
    app: str(o.app),
    cannotTell: Array.isArray(o.cannotTell) ? o.cannotTell.filter((x) => typeof x === 'string') : [],
    wire: o.wire === true,
    skipped: num(o.skipped),
    partial: parsePartial(o.partial),
    devices: Array.isArray(o.devices)
      ? (o.devices as unknown[]).flatMap((d) => {
          if (typeof d !== 'object' || d === null) return [];
          const { address, mac, name } = d as Record<string, unknown>;
          return typeof address === 'string' ? [{ address, mac: str(mac), name: str(name) }] : [];
        })
      : [],
    leases: parseFiles(o.leases),
  };
}

/** Files read for an import as capture.json lists them (name, size, SHA-256); [] for none. */
function parseFiles(v: unknown): SourceFile[] {
  if (!Array.isArray(v)) return [];
  return (v as unknown[]).flatMap((f) => {
    if (typeof f !== 'object' || f === null) return [];
    const { name, bytes, sha256 } = f as Record<string, unknown>;
    return typeof name === 'string' && typeof sha256 === 'string'
      ? [{ name, bytes: num(bytes), sha256 }]
      : [];
  });
}

/** The capture.json at `path`, or null when it is missing or unreadable. Never throws. */
export async function readCaptureMeta(path: string): Promise<CaptureMeta | null> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof v !== 'object' || v === null) return null;
    const { id, startedAt, stoppedAt, source } = v as Record<string, unknown>;
    if (typeof id !== 'string' || typeof startedAt !== 'number' || !Number.isFinite(startedAt)) return null;
    return {
      id,
      startedAt,
      stoppedAt: typeof stoppedAt === 'number' && stoppedAt > 0 ? stoppedAt : 0,
      source: parseSource(source),
    };
  } catch {
    return null;
  }
}

export interface JournalWriterOptions {
  readonly path: string;
  /** Lines waiting to be written beyond this are dropped (and counted) instead of growing memory. */
  readonly maxUnwrittenBytes: number;
  readonly onWarning: (message: string) => void;
  /**
   * Follow every written block with a seal of the hash chain (chain.ts), note dropped records in a sealed
   * loss line, and end with a closing seal on close(); append() then takes each seq (and time).
   */
  readonly chained?: boolean;
  /**
   * With `chained`: once this many bytes of sealed lines are in the file (and when it closes), compress them
   * into a frame of `<path>.gz` (journal-frames.ts) and start the file again empty. 0 (default): never.
   */
  readonly compactBytes?: number;
  /** zlib level of the frames (journal-frames.ts FRAME_LEVEL by default). */
  readonly frameLevel?: number;
  /**
   * Sync each frame to the disk before the plain copy goes (default). An import, whose folder is taken into
   * the store only once complete and synced, skips it: a crash there leaves an abandoned folder, not a gap.
   */
  readonly syncFrames?: boolean;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${Math.max(1, Math.round(n / 1024))} KiB`;
}

/** Journal text is encoded straight into buffers of this size (bigger only for a bigger line). */
const CHUNK_BYTES = 1 << 20;
const NO_BUFFER = Buffer.alloc(0);
/**
 * Text that waits for a failing disk is gathered into chunks this big. Kept as one copy per flush period
 * (tens of KiB each), minutes of it were spread over the allocator's heap between longer-lived allocations,
 * and after the disk came back the freed holes stayed in the process: 30 MB of RSS in the soak. An
 * allocation this size is mapped on its own (glibc maps anything above 32 MiB apart from its heap), so it
 * goes back to the system when the last of its text is written; pages never written are never resident.
 */
const SPILL_BYTES = 40 << 20;

/** Buffers per writev, well under IOV_MAX (1,024 on Linux). */
const WRITEV_MAX = 64;

/**
 * Appends lines to a journal file with one write per flush. Lines are encoded into memory as they come
 * and wait there between flushes; when the disk refuses them (ENOSPC, EACCES, EIO...) they stay queued,
 * up to `maxUnwrittenBytes`, and the next flush retries, so a passing problem loses nothing. Each kind
 * of problem is reported once until writing works again. append() never throws and never touches the disk.
 */
export class JournalWriter {
  /** Lines being collected, encoded as UTF-8, each ending in a newline. */
  private current: Buffer = NO_BUFFER;
  private currentLen = 0;
  /** Collected text not yet (fully) written; the first may be partly written. */
  private readonly queue: Buffer[] = [];
  private queueOffset = 0;
  private queueBytes = 0;
  /** The chunk text waiting for a failing disk is copied into (SPILL_BYTES), and how much of it is used. */
  private spill: Buffer = NO_BUFFER;
  private spillLen = 0;
  private handle: FileHandle | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly warned = new Set<string>();
  private droppedLines = 0;
  private droppedReported = 0;
  private closed = false;
  private failing = false;
  private lastError = '';
  private readonly seals: ChainState | null;
  /** Seqs and line count of the block being collected in `current`. */
  private blockFrom = 0;
  private blockTo = 0;
  private blockLines = 0;
  private blockRecords = 0;
  /** Records dropped since the last loss line: how many, first and last seq and time. */
  private lost = 0;
  private lostFromSeq = 0;
  private lostToSeq = 0;
  private lostFromTs = 0;
  private lostToTs = 0;
  private closingSealed = false;
  /** Bytes written to the plain file since it was last started (all of them sealed when the queue is empty). */
  private plainBytes = 0;
  /** Compress once the plain file holds this much; 0 never (or no more, see compact()). */
  private compactAt: number;
  /** The compressed file: frames written, its length, the last frame's hash, the next frame's first seal. */
  private frames = 0;
  private framesBytes = 0;
  private frameHash = GENESIS;
  private frameSealFrom = 1;
  /** Seqs of the first and last record sealed since the last frame. */
  private frameFrom = 0;
  private frameTo = 0;

  constructor(private readonly opts: JournalWriterOptions) {
    this.seals = opts.chained === true ? new ChainState() : null;
    this.compactAt = this.seals !== null ? (opts.compactBytes ?? 0) : 0;
  }

  get path(): string {
    return this.opts.path;
  }

  /** True from a failed write until a write succeeds. */
  get isFailing(): boolean {
    return this.failing;
  }

  /** Bytes waiting to be written. */
  get unwrittenBytes(): number {
    return this.currentLen + this.queueBytes;
  }

  /** Lines dropped because too much was waiting. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Why the last write failed ("" while writing works): the disk is full, permission denied... */
  get writeError(): string {
    return this.failing ? this.lastError : '';
  }

  /**
   * Queues one line (without newline) holding record `seq` (seqs increase); false when it was dropped
   * because too much is waiting.
   */
  append(line: string, seq = 0, ts = 0): boolean {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (!this.reserve(line.length * 3 + 1)) return false;
    const start = this.currentLen;
    this.currentLen += this.current.write(line, start, 'utf8');
    return this.ended(start, seq, ts);
  }

  /**
   * Queues the journal line of one exchange, encoded straight into the buffer (journal-encode.ts): the
   * same bytes as append(journalLine(...)) (test-support.ts) without the strings in between. False when it was dropped.
   */
  appendRecord(seq: number, time: string, captureId: string, rec: ExchangeRecord): boolean {
    if (!this.reserve(journalLineMaxBytes(time, captureId, rec) + 1)) return false;
    const start = this.currentLen;
    this.currentLen = encodeJournalLine(this.current, start, seq, time, captureId, rec);
    return this.ended(start, seq, rec.ts);
  }

  /**
   * Queues `count` whole record lines encoded elsewhere (encodeJournalLine, each ending in a newline), with
   * seqs `from`..`to`, the first line's time `fromTs` and the last's `toTs`: what `count` appendRecord() calls would queue, for an
   * import whose lines are encoded on another thread. They stay in one block. False when they were dropped
   * (all of them) because too much is waiting.
   */
  appendEncoded(
    lines: Uint8Array,
    count: number,
    from: number,
    to: number,
    fromTs: number,
    toTs: number,
  ): boolean {
    if (count === 0 || !this.reserve(lines.length)) return false;
    if (this.currentLen + lines.length + this.queueBytes > this.opts.maxUnwrittenBytes)
      return this.dropLines(count, from, fromTs, to, toTs);
    this.current.set(lines, this.currentLen);
    this.currentLen += lines.length;
    this.countLines(count, from, to);
    return true;
  }

  /** `count` lines, seqs `from`…`to`, did not fit beside what waits to be written: counted, reported once. */
  private dropLines(count: number, from: number, fromTs: number, to: number, toTs: number): false {
    this.droppedLines += count;
    if (this.lost === 0) {
      this.lostFromSeq = from;
      this.lostFromTs = fromTs;
    }
    this.lost += count;
    this.lostToSeq = to;
    this.lostToTs = toTs;
    this.warnOnce(
      'dropped',
      `capture journal ${this.opts.path}: more than ${formatBytes(this.opts.maxUnwrittenBytes)} ` +
        'of queries are waiting to be written; newer queries are shown but not saved until writing works again',
    );
    return false;
  }

  /** `count` lines, seqs `from`…`to`, joined the block being collected. */
  private countLines(count: number, from: number, to: number): void {
    if (this.blockLines === 0) this.blockFrom = from;
    this.blockTo = to;
    this.blockLines += count;
    this.blockRecords += count;
  }

  /** Makes room for `need` more bytes in the collecting buffer; false once closed. */
  private reserve(need: number): boolean {
    if (this.closed) return false;
    if (this.current.length - this.currentLen < need) {
      this.seal();
      if (this.current.length - this.currentLen < need) {
        this.current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
        this.currentLen = 0;
      }
    }
    return true;
  }

  /**
   * Ends the line encoded from `start` and counts it into the block being collected; or, when too much is
   * waiting to be written already, takes it back (counted, reported once) and returns false.
   */
  private ended(start: number, seq: number, ts: number): boolean {
    if (this.currentLen + 1 + this.queueBytes > this.opts.maxUnwrittenBytes) {
      this.currentLen = start;
      return this.dropLines(1, seq, ts, seq, ts);
    }
    this.current[this.currentLen++] = 10;
    this.countLines(1, seq, seq);
    return true;
  }

  /** Moves the collected text to the write queue, keeping the buffer when little of it was used. */
  private seal(): void {
    // Dropped records are noted in the next block that is written anyway (or the last one, on close), so a
    // failing disk adds at most one short line per block beyond the memory cap.
    const loss =
      this.seals !== null && this.lost > 0 && (this.currentLen > 0 || this.closed) ? this.takeLoss() : null;
    if (this.currentLen === 0 && loss === null) return;
    let block = this.current.subarray(0, this.currentLen);
    if (loss !== null) {
      block = Buffer.concat([block, loss]);
      this.enqueue(block, false);
    } else if (this.currentLen * 2 >= this.current.length && !this.failing) {
      this.enqueue(block, false);
      this.current = NO_BUFFER;
    } else {
      // A copy, so a failing disk cannot pile up mostly empty 1 MiB buffers.
      this.enqueue(block, true);
    }
    this.currentLen = 0;
    if (this.seals !== null) {
      // One hash per block (a flush period's lines), so sealing costs next to nothing per query.
      const seal = this.seals.seal(block, this.blockFrom, this.blockTo, this.blockLines, this.blockRecords);
      this.queueText(sealLine(seal));
      if (this.frameFrom === 0) this.frameFrom = this.blockFrom;
      if (this.blockTo > 0) this.frameTo = this.blockTo;
    }
    this.blockLines = 0;
    this.blockRecords = 0;
    this.blockFrom = 0;
    this.blockTo = 0;
  }

  /** The loss line for the records dropped since the last one (counted as a line of the block). */
  private takeLoss(): Buffer {
    const text = lossLine({
      lost: this.lost,
      fromSeq: this.lostFromSeq,
      toSeq: this.lostToSeq,
      fromTs: this.lostFromTs,
      toTs: this.lostToTs,
    });
    this.lost = 0;
    this.blockLines++;
    return Buffer.from(`${text}\n`, 'utf8');
  }

  private queueText(line: string): void {
    this.enqueue(Buffer.from(`${line}\n`, 'utf8'), false);
  }

  /**
   * Adds `block` to the write queue: copied into the spill chunk while the disk fails (see SPILL_BYTES),
   * else as it is or, with `copy`, as a copy of its own.
   */
  private enqueue(block: Buffer, copy: boolean): void {
    let queued = block;
    if (this.failing) {
      if (this.spill.length - this.spillLen < block.length) {
        this.spill = Buffer.allocUnsafeSlow(Math.max(SPILL_BYTES, block.length));
        this.spillLen = 0;
      }
      block.copy(this.spill, this.spillLen);
      queued = this.spill.subarray(this.spillLen, this.spillLen + block.length);
      this.spillLen += block.length;
    } else if (copy) queued = Buffer.from(block);
    this.queue.push(queued);
    this.queueBytes += queued.length;
  }

  /** Writes everything queued; resolves (never rejects) once this attempt is over, written or not. */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.writeQueued());
    return this.chain;
  }

  /**
   * Refuses further appends, flushes, and closes the file once everything is written. When the disk
   * still fails, the text stays queued: later flush() calls retry and close the file when done.
   */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private async writeQueued(): Promise<void> {
    this.seal();
    if (this.closed) this.current = NO_BUFFER;
    if (this.closed && this.seals !== null && !this.closingSealed) {
      // Nothing follows: the closing seal tells a reader the journal is complete (chain.ts).
      this.closingSealed = true;
      this.queueText(sealLine(this.seals.close()));
    }
    if (this.queue.length === 0) {
      await this.closeHandleIfDone();
      return;
    }
    try {
      if (this.handle === null) {
        await ensureDir(dirname(this.opts.path));
        this.handle = await open(this.opts.path, 'a', FILE_MODE);
      }
      while (this.queue.length > 0) {
        // A block and its seal (and whatever else waits) in one writev: one system call and one trip
        // through the thread pool per flush, not one per piece, which counts at a household's few queries.
        const pieces = this.queue.slice(0, WRITEV_MAX);
        if (this.queueOffset > 0) pieces[0] = pieces[0]!.subarray(this.queueOffset);
        let { bytesWritten } = await this.handle.writev(pieces);
        if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        this.queueBytes -= bytesWritten;
        this.plainBytes += bytesWritten;
        // A short write (a full disk on the way) leaves the rest queued, from where it stopped.
        while (bytesWritten > 0) {
          const left = this.queue[0]!.length - this.queueOffset;
          if (bytesWritten < left) {
            this.queueOffset += bytesWritten;
            break;
          }
          bytesWritten -= left;
          this.queue.shift();
          this.queueOffset = 0;
        }
      }
      // Everything waiting is written: let the spill chunk go back to the system.
      this.spill = NO_BUFFER;
      this.spillLen = 0;
      if (this.failing || this.droppedLines > this.droppedReported) this.recovered();
      if (this.compactAt > 0 && this.plainBytes > 0 && (this.plainBytes >= this.compactAt || this.closed))
        await this.compact();
      await this.closeHandleIfDone();
    } catch (err) {
      this.failing = true;
      const { kind, text } = describeFsError(err);
      this.lastError = text;
      this.warnOnce(
        kind,
        `capture journal ${this.opts.path}: cannot write: ${text}; keeping queries in memory and retrying`,
      );
      const fh = this.handle;
      this.handle = null;
      // Reopen on the next attempt: the problem may have been the file itself (deleted, replaced, remounted).
      if (fh) await fh.close().catch(() => undefined);
    }
  }

  /**
   * Moves everything in the plain file (whole blocks, each followed by its seal: the queue is empty) into
   * one compressed frame, then starts the plain file again empty. Runs in the flush chain, so nothing is
   * written meanwhile; the compressing runs on zlib's thread pool. The frame is on disk (synced) before the
   * plain copy goes: a crash in between leaves both, and readers skip the plain copy (plainStart). The new
   * plain file takes the name by rename, so a reader that opened the old one still reads it whole.
   */
  private async compact(): Promise<void> {
    const path = this.opts.path;
    // Taken before any await: blocks sealed while this runs belong to the next frame.
    const length = this.plainBytes;
    const { n, count, head } = this.seals!.position();
    const from = this.frameFrom;
    const to = this.frameTo;
    this.frameFrom = 0;
    this.frameTo = 0;
    let written = false;
    try {
      const raw = await readFile(path);
      if (raw.length !== length || raw[raw.length - 1] !== 10) {
        // Someone else wrote to it: leave it as it is, plain.
        this.compactAt = 0;
        throw new Error(`it holds ${raw.length} bytes, ${length} were written to it`);
      }
      const { member, header } = await encodeFrame(
        raw,
        this.frameHash,
        { frame: this.frames + 1, sealFrom: this.frameSealFrom, sealTo: n, count, from, to, head },
        this.opts.frameLevel,
      );
      const gz = await open(compressedPath(path), 'a', FILE_MODE);
      try {
        for (let at = 0; at < member.length;) {
          const { bytesWritten } = await gz.write(member, at, member.length - at);
          if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
          at += bytesWritten;
        }
        if (this.opts.syncFrames !== false) await gz.datasync();
        written = true;
      } catch (err) {
        // A part of a frame would hide every later one: cut it off again.
        await gz.truncate(this.framesBytes).catch(() => (this.compactAt = 0));
        throw err;
      } finally {
        await gz.close().catch(() => undefined);
      }
      this.frames = header.frame;
      this.framesBytes += member.length;
      this.frameHash = header.sha256;
      this.frameSealFrom = n + 1;
      const fresh = `${path}.new`;
      await (await open(fresh, 'w', FILE_MODE)).close();
      const fh = this.handle;
      this.handle = null;
      if (fh) await fh.close().catch(() => undefined);
      await rename(fresh, path);
      this.plainBytes = 0;
    } catch (err) {
      if (written) {
        // The frame is there and the plain copy too: readers skip the copy, but the next frame would repeat it.
        this.compactAt = 0;
      } else {
        this.frameFrom = from || this.frameFrom;
        this.frameTo = this.frameTo || to;
        // Try again once as much more is written (a full disk would otherwise be asked every flush).
        if (this.compactAt > 0) this.compactAt = length + (this.opts.compactBytes ?? 0);
      }
      this.warnOnce(
        'compact',
        `capture journal ${path}: cannot compress its sealed blocks: ${describeFsError(err).text}; they stay uncompressed`,
      );
    }
  }

  private async closeHandleIfDone(): Promise<void> {
    if (!this.closed || this.handle === null) return;
    const fh = this.handle;
    this.handle = null;
    await fh.close().catch(() => undefined);
  }

  private recovered(): void {
    this.failing = false;
    this.warned.clear();
    const lost = this.droppedLines - this.droppedReported;
    if (lost > 0) {
      this.droppedReported = this.droppedLines;
      this.report(
        `capture journal ${this.opts.path}: writing again; ${lost} queries could not be saved to it`,
      );
    }
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.report(message);
  }

  private report(message: string): void {
    try {
      this.opts.onWarning(message);
    } catch {
      // A failing warning sink must not stop the journal.
    }
  }
}
