import { createHash } from 'node:crypto';

/**
 * The journal's hash chain. Every block of lines the writer puts on disk in one go is followed by a seal
 * line `{"chain":N,"from":A,"to":B,"lines":K,"sha256":H}` where
 * H = SHA-256(previous H in hex + "\n" + the block's bytes + "#N A B K\n"), the first previous H being
 * GENESIS. Changing, removing or reordering any sealed line, or any seal, breaks every H from there on.
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
  readonly sha256: string;
}

/** The seal line (no newline) for a block. */
export function sealLine(seal: Seal): string {
  return `{"chain":${seal.n},"from":${seal.from},"to":${seal.to},"lines":${seal.lines},"sha256":"${seal.sha256}"}`;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The seal on a journal line, or null when the line is not a seal. Never throws. */
export function parseSealLine(text: string): Seal | null {
  if (!text.startsWith('{"chain":')) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { chain, from, to, lines, sha256 } = v as Record<string, unknown>;
  const whole = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!whole(chain) || !whole(from) || !whole(to) || !whole(lines)) return null;
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return null;
  return { n: chain, from, to, lines, sha256 };
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

  /** The block's chain value; the hasher cannot be used afterwards. */
  finish(n: number, from: number, to: number, lines: number): string {
    return this.hash.update(`#${n} ${from} ${to} ${lines}\n`).digest('hex');
  }
}

/** The running chain of one journal writer: turns each written block into its seal. */
export class ChainState {
  private prev = GENESIS;
  private n = 0;

  /** The seal for `block` (whole lines with newlines) holding records `from`..`to`. */
  seal(block: Uint8Array, from: number, to: number, lines: number): Seal {
    const hasher = new BlockHasher(this.prev);
    hasher.update(block);
    this.n += 1;
    const sha256 = hasher.finish(this.n, from, to, lines);
    this.prev = sha256;
    return { n: this.n, from, to, lines, sha256 };
  }
}
