import {
  BlockHasher,
  GENESIS,
  isLossBytes,
  isSealBytes,
  parseLossLine,
  parseSealLine,
  type Loss,
} from '../capture/chain';
import { parseJournalLine } from '../capture/journal';
import type { FrameRead } from '../capture/journal-frames';
import { journalChunks } from './journal-read';

/** A stretch of a journal whose seal does not match its records. */
export interface ChainProblem {
  /** Seqs of the first and last record concerned (0 when not known). */
  readonly from: number;
  readonly to: number;
  readonly message: string;
}

/** What checking a journal's hash chain found. */
export interface ChainReport {
  /**
   * `chained`: every sealed record matches its seal; `broken`: at least one problem; `not-chained`: records
   * but no seal (a journal from before sealing); `empty`: no records.
   */
  readonly state: 'chained' | 'broken' | 'not-chained' | 'empty';
  readonly records: number;
  /** Records covered by a seal. */
  readonly sealed: number;
  readonly blocks: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The last seal's chain value (hex), "" when none. */
  readonly head: string;
  readonly problems: readonly ChainProblem[];
  /** Records after the last seal (the app stopped before sealing them), or null. */
  readonly unsealed: { readonly from: number; readonly to: number; readonly count: number } | null;
  /** The seals carry running record counts (the current format; older journals' seals do not). */
  readonly counted: boolean;
  /** The journal ends with a valid closing seal: the writer stopped cleanly and nothing is missing after it. */
  readonly closed: boolean;
  /** Records the writer could not save, as its sealed loss lines say. */
  readonly losses: readonly Loss[];
  /** Seqs missing between consecutive records that no loss line accounts for. */
  readonly missing: readonly { readonly from: number; readonly to: number }[];
  /** Lines that are neither a record, a seal nor a loss line. */
  readonly unreadable: number;
  /** Bytes after the last newline: a last line cut off while it was written, or by cutting the file (0: none). */
  readonly torn: number;
  /** Compressed frames read (journal.ndjson.gz). */
  readonly frames: number;
  /** Bytes of a frame cut off at the end of the compressed file (the app stopped while writing it; 0: none). */
  readonly tornFrame: number;
}

const MAX_PROBLEMS = 100;

function range(from: number, to: number): string {
  if (from === 0 && to === 0) return 'records of unknown seq';
  return from === to ? `record ${from}` : `records ${from}–${to}`;
}

/**
 * Checks a journal's hash chain line by line (see capture/chain.ts). Feed every line without its newline
 * in file order, then call finish(). Names each block whose records or seal do not match.
 */
export class ChainVerifier {
  private prev = GENESIS;
  /** False after an unreadable seal: the next block cannot be checked against it. */
  private prevKnown = true;
  private hasher = new BlockHasher(GENESIS);
  private blockLines = 0;
  private blockFrom = 0;
  private blockTo = 0;
  private blockDamaged = 0;
  private blockRecords = 0;
  /** Records in the blocks checked so far, to compare with each seal's count. */
  private counted = 0;
  private links = 0;
  private lastCounted = false;
  private closed = false;
  private afterClose = 0;
  private unreadable = 0;
  private readonly losses: Loss[] = [];
  private readonly gaps: { from: number; to: number }[] = [];
  private records = 0;
  private sealed = 0;
  private blocks = 0;
  private firstSeq = 0;
  private lastSeq = 0;
  private readonly problems: ChainProblem[] = [];
  private problemCount = 0;
  private readonly newline = Buffer.from('\n');
  private frames = 0;
  private tornFrame = 0;

  /**
   * Checks a compressed frame (capture/journal-frames.ts) before its lines go through line(): its place
   * among the frames and its SHA-256 over the compressed bytes; one that cannot be decompressed is named and
   * the chain goes on from what its header says. Then frameEnd() after its lines.
   */
  frameStart(f: FrameRead): void {
    if (f.kind === 'torn') {
      this.tornFrame = f.length;
      return;
    }
    if (f.kind === 'bad') {
      this.problem(0, 0, `${frameAt(f.offset)}: ${f.message}; nothing after it there can be read`);
      return;
    }
    const h = f.header;
    const where = `${range(h.from, h.to)} (${frameAt(f.offset, h.frame)})`;
    const n = this.frames + 1;
    if (h.frame !== n)
      this.problem(
        h.from,
        h.to,
        `${where}: expected compressed block ${n} here (blocks removed or reordered)`,
      );
    else if (!f.hashOk)
      this.problem(
        h.from,
        h.to,
        `${where}: its compressed bytes were changed after they were sealed (SHA-256 does not match)`,
      );
    this.frames = h.frame;
    if (f.raw === null) {
      this.problem(h.from, h.to, `${where}: cannot be decompressed (${f.error})`);
      this.counted = h.count;
      this.links = h.sealTo;
      this.prevKnown = true;
      this.nextBlock(h.head);
    }
  }

  /** After a frame's lines: they end with the seal its header names. */
  frameEnd(f: FrameRead): void {
    if (f.kind !== 'frame' || f.raw === null) return;
    const h = f.header;
    if (this.blockLines > 0 || this.links !== h.sealTo || this.prev !== h.head)
      this.problem(
        h.from,
        h.to,
        `${range(h.from, h.to)} (${frameAt(f.offset, h.frame)}): its header does not match the seals inside`,
      );
  }

  line(bytes: Uint8Array): void {
    const text = (): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (this.closed) {
      // A clean stop writes the closing seal last: anything after it was added later.
      if (bytes.length > 0) this.afterClose++;
      return;
    }
    if (isSealBytes(bytes, 0, bytes.length)) {
      this.seal(text());
      return;
    }
    this.hasher.update(bytes);
    this.hasher.update(this.newline);
    this.blockLines++;
    if (isLossBytes(bytes, 0, bytes.length)) {
      const loss = parseLossLine(text());
      if (loss === null) this.blockDamaged++;
      else this.losses.push(loss);
      return;
    }
    this.records++;
    this.blockRecords++;
    const ev = parseJournalLine(text());
    if (ev === null) {
      this.blockDamaged++;
      this.unreadable++;
      return;
    }
    if (this.blockFrom === 0) this.blockFrom = ev.seq;
    this.blockTo = ev.seq;
    if (this.firstSeq === 0) this.firstSeq = ev.seq;
    // Seqs are consecutive within a capture; a gap is records that never reached the journal.
    else if (ev.seq > this.lastSeq + 1 && this.gaps.length < MAX_PROBLEMS)
      this.gaps.push({ from: this.lastSeq + 1, to: ev.seq - 1 });
    this.lastSeq = ev.seq;
  }

  /** The report; `torn` is the length of a cut-off last line the caller left out (see journalChunks). */
  finish(torn = 0): ChainReport {
    if (this.afterClose > 0)
      this.problem(
        0,
        0,
        `${this.afterClose} line${this.afterClose === 1 ? '' : 's'} after the closing seal (added after the journal was closed)`,
      );
    const unsealed =
      this.links > 0 && this.blockLines > 0
        ? { from: this.blockFrom, to: this.blockTo, count: this.blockLines }
        : null;
    const state =
      this.problemCount > 0
        ? 'broken'
        : this.links === 0
          ? this.records > 0
            ? 'not-chained'
            : 'empty'
          : 'chained';
    return {
      state,
      records: this.records,
      sealed: this.sealed,
      blocks: this.blocks,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      head: this.links > 0 ? this.prev : '',
      problems: this.problems,
      unsealed,
      counted: this.lastCounted,
      closed: this.closed && this.problemCount === 0,
      losses: this.losses,
      missing: unexplained(this.gaps, this.losses),
      unreadable: this.unreadable,
      torn,
      frames: this.frames,
      tornFrame: this.tornFrame,
    };
  }

  private seal(text: string): void {
    const seal = parseSealLine(text);
    const n = this.links + 1;
    if (seal === null) {
      this.problem(this.blockFrom, this.blockTo, `the seal of block ${n} is damaged`);
      this.prevKnown = false;
      this.nextBlock(GENESIS);
      this.links = n;
      this.blocks++;
      return;
    }
    const hash = this.hasher.finish(seal);
    const where = seal.closed
      ? `the closing seal (block ${seal.n})`
      : `${range(seal.from, seal.to)} (block ${seal.n})`;
    const expectedCount = this.counted + this.blockRecords;
    if (!this.prevKnown) {
      this.problem(seal.from, seal.to, `${where}: cannot be checked, the seal before them is damaged`);
    } else if (seal.n !== n) {
      this.problem(seal.from, seal.to, `${where}: expected block ${n} here (blocks removed or reordered)`);
    } else if (hash !== seal.sha256) {
      this.problem(seal.from, seal.to, `${where}: changed after they were sealed`);
    } else if (
      this.blockDamaged > 0 ||
      seal.lines !== this.blockLines ||
      seal.from !== this.blockFrom ||
      seal.to !== this.blockTo
    ) {
      this.problem(seal.from, seal.to, `${where}: the seal does not describe these records`);
    } else if (seal.count !== null && seal.count !== expectedCount) {
      this.problem(
        seal.from,
        seal.to,
        `${where}: the seal counts ${seal.count} records so far, the journal holds ${expectedCount} (records removed or added)`,
      );
    } else this.sealed += this.blockRecords;
    this.counted = expectedCount;
    this.links = n;
    if (seal.closed) this.closed = true;
    else this.blocks++;
    this.lastCounted = seal.count !== null;
    this.prevKnown = true;
    // Later blocks are checked against what this seal says, so one change is named once, not forever after.
    this.nextBlock(seal.sha256);
  }

  private nextBlock(prev: string): void {
    this.prev = prev;
    this.hasher = new BlockHasher(prev);
    this.blockLines = 0;
    this.blockRecords = 0;
    this.blockFrom = 0;
    this.blockTo = 0;
    this.blockDamaged = 0;
  }

  private problem(from: number, to: number, message: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ from, to, message });
  }
}

/** Where a compressed frame is: its number (when known) and byte offset in journal.ndjson.gz. */
function frameAt(offset: number, frame = 0): string {
  const at = `at byte ${offset.toLocaleString('en-US')} of the .gz file`;
  return frame > 0 ? `compressed block ${frame}, ${at}` : `compressed block ${at}`;
}

/** The parts of `gaps` (seq ranges) that no loss's fromSeq..toSeq covers. */
function unexplained(
  gaps: readonly { from: number; to: number }[],
  losses: readonly Loss[],
): { from: number; to: number }[] {
  const covered = [...losses].sort((a, b) => a.fromSeq - b.fromSeq);
  const out: { from: number; to: number }[] = [];
  for (const g of gaps) {
    let from = g.from;
    for (const l of covered) {
      if (l.toSeq < from || l.fromSeq > g.to) continue;
      if (l.fromSeq > from) out.push({ from, to: l.fromSeq - 1 });
      from = Math.max(from, l.toSeq + 1);
      if (from > g.to) break;
    }
    if (from <= g.to) out.push({ from, to: g.to });
  }
  return out;
}

/** Checks the hash chain of the journal file at `path`. Rejects only when it cannot be read. */
export async function verifyJournalFile(path: string): Promise<ChainReport> {
  const v = new ChainVerifier();
  const chunks = journalChunks(path);
  let step = await chunks.next();
  for (; !step.done; step = await chunks.next()) {
    const { frame, lines } = step.value;
    if (frame) v.frameStart(frame);
    for (const line of lines) v.line(line);
    if (frame) v.frameEnd(frame);
  }
  return v.finish(step.value);
}

/** One line for people: what the chain check says. */
export function describeChain(r: ChainReport): string {
  switch (r.state) {
    case 'empty':
      return 'no records';
    case 'not-chained':
      return `not chained: ${r.records.toLocaleString('en-US')} records written before journals were sealed; their integrity cannot be shown`;
    case 'broken':
      return `CHANGED: ${r.problems.map((p) => p.message).join('; ')}`;
    case 'chained': {
      const tail = r.unsealed
        ? `; ${range(r.unsealed.from, r.unsealed.to)} after the last seal were not sealed (the app stopped before sealing them)`
        : '';
      const lost = r.losses.reduce((n, l) => n + l.lost, 0);
      const losses =
        lost > 0 ? `; ${lost.toLocaleString('en-US')} queries were not saved (the disk refused them)` : '';
      const end = r.closed
        ? '; closed cleanly'
        : r.counted
          ? '; no closing seal yet (the capture was running, or stopped without closing its journal)'
          : '';
      return `intact: ${r.sealed.toLocaleString('en-US')} records in ${r.blocks.toLocaleString('en-US')} sealed blocks, none changed after capture${tail}${losses}${end}`;
    }
  }
}
