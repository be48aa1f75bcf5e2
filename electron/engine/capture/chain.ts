import { createHash } from 'node:crypto';

/**
 * The journal's hash chain. Every block of lines the writer puts on disk in one go is followed by a seal
 * line `{"chain":N,"from":A,"to":B,"lines":K,"count":C,"sha256":H}` where C is the number of records sealed
 * so far (this block included) and H = SHA-256(previous H in hex + "\n" + the block's bytes +
 * "#N A B K C\n"), the first previous H being GENESIS. A writer that closes cleanly ends the journal with a
 * closing seal over an empty block, `"closed":true` and the trailer "#N 0 0 0 C closed\n": without it a
 * reader cannot tell a finished journal from one cut after a seal. Changing, removing or reordering any
 * sealed line, or any seal, breaks every H from there on. Seals written before counts existed have no
 * "count" and hash "#N A B K\n"; readers still check them.
 */
export const GENESIS = '0'.repeat(64);

/** What a seal line says about the block before it. */
export interface Seal {
  /** 1 for the first block of a journal, then +1 per block. */
  readonly n: number;
  /** Seq of the block's first and last record. */
  readonly from: number;
  readonly to: number;
  readonly lines: number;
  /** Records sealed so far, this block included; null in seals written before counts existed. */
  readonly count: number | null;
  /** True on the closing seal a clean stop writes (over an empty block). */
  readonly closed: boolean;
  readonly sha256: string;
}

/** The seal line (no newline) for a block. */
export function sealLine(seal: Seal): string {
  const count = seal.count === null ? '' : `,"count":${seal.count}`;
  const closed = seal.closed ? ',"closed":true' : '';
  return `{"chain":${seal.n},"from":${seal.from},"to":${seal.to},"lines":${seal.lines}${count}${closed},"sha256":"${seal.sha256}"}`;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A whole, non-negative, safe integer: every count and number a journal's own lines carry. */
const whole = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** The JSON object on a line that starts with `prefix`, or null (another kind of line, or damaged). */
function objectLine(text: string, prefix: string): Record<string, unknown> | null {
  if (!text.startsWith(prefix)) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The seal on a journal line, or null when the line is not a seal. Never throws. */
export function parseSealLine(text: string): Seal | null {
  const v = objectLine(text, '{"chain":');
  if (v === null) return null;
  const { chain, from, to, lines, count, closed, sha256 } = v;
  if (!whole(chain) || !whole(from) || !whole(to) || !whole(lines)) return null;
  if (count !== undefined && !whole(count)) return null;
  if (closed !== undefined && (closed !== true || count === undefined)) return null;
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return null;
  return { n: chain, from, to, lines, count: count ?? null, closed: closed === true, sha256 };
}

/** True when a raw journal line (bytes from `start` to `end`, no newline) looks like a seal line. */
export function isSealBytes(data: Uint8Array, start: number, end: number): boolean {
  // '{"c' — event lines start with '{"seq'.
  return end - start > 10 && data[start] === 0x7b && data[start + 1] === 0x22 && data[start + 2] === 0x63;
}

/** Hashes one block incrementally: feed its bytes (lines with their newlines), then `finish`. */
export class BlockHasher {
  private hash = createHash('sha256');

  constructor(prev: string) {
    this.hash.update(`${prev}\n`);
  }

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  /** The block's chain value for its seal; the hasher cannot be used afterwards. */
  finish(seal: Omit<Seal, 'sha256'>): string {
    const { n, from, to, lines, count, closed } = seal;
    const trailer =
      count === null
        ? `#${n} ${from} ${to} ${lines}\n`
        : `#${n} ${from} ${to} ${lines} ${count}${closed ? ' closed' : ''}\n`;
    return this.hash.update(trailer).digest('hex');
  }
}

/**
 * A line the writer adds when it had to drop records (the disk refused them and memory ran out), so the loss
 * is itself sealed: `{"lost":N,"fromSeq":A,"toSeq":B,"fromTs":T1,"toTs":T2}` (seqs and epoch ms of the first
 * and last dropped record). It is no record: it counts as a line of its block, not in the seal's count.
 */
export interface Loss {
  readonly lost: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly fromTs: number;
  readonly toTs: number;
}

export function lossLine(l: Loss): string {
  return `{"lost":${l.lost},"fromSeq":${l.fromSeq},"toSeq":${l.toSeq},"fromTs":${l.fromTs},"toTs":${l.toTs}}`;
}

/** True when a raw journal line looks like a loss line ('{"l'; records start with '{"s', seals with '{"c'). */
export function isLossBytes(data: Uint8Array, start: number, end: number): boolean {
  return end - start > 10 && data[start] === 0x7b && data[start + 1] === 0x22 && data[start + 2] === 0x6c;
}

/** The loss a line records, or null when it is not a loss line. Never throws. */
export function parseLossLine(text: string): Loss | null {
  const v = objectLine(text, '{"lost":');
  if (v === null) return null;
  const { lost, fromSeq, toSeq, fromTs, toTs } = v;
  if (!whole(lost) || lost === 0 || !whole(fromSeq) || !whole(toSeq) || !whole(fromTs) || !whole(toTs))
    return null;
  return { lost, fromSeq, toSeq, fromTs, toTs };
}

/** The running chain of one journal writer: turns each written block into its seal. */
export class ChainState {
  private prev = GENESIS;
  private n = 0;
  private count = 0;

  /** The last seal's number, the records sealed so far and the last chain value. */
  position(): { readonly n: number; readonly count: number; readonly head: string } {
    return { n: this.n, count: this.count, head: this.prev };
  }

  /**
   * The seal for `block` (whole lines with newlines, `lines` of them) holding `records` records with seqs
   * `from`..`to`; the rest of its lines are loss lines.
   */
  seal(block: Uint8Array, from: number, to: number, lines: number, records: number): Seal {
    return this.next(block, from, to, lines, records, false);
  }

  /** The closing seal: an empty block that says the writer ended here, with the final count. */
  close(): Seal {
    return this.next(new Uint8Array(0), 0, 0, 0, 0, true);
  }

  private next(
    block: Uint8Array,
    from: number,
    to: number,
    lines: number,
    records: number,
    closed: boolean,
  ): Seal {
    const hasher = new BlockHasher(this.prev);
    hasher.update(block);
    this.n += 1;
    this.count += records;
    const seal = { n: this.n, from, to, lines, count: this.count, closed };
    const sha256 = hasher.finish(seal);
    this.prev = sha256;
    return { ...seal, sha256 };
  }
}
