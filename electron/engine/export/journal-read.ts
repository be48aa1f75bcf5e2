import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { isSealBytes } from '../capture/chain';
import {
  compressedPath,
  frameSummary,
  plainStart,
  readFrames,
  type FrameRead,
} from '../capture/journal-frames';

/** Complete journal lines read in one go. */
export interface JournalChunk {
  /** The lines' bytes with their newlines, exactly as written; a fresh buffer the caller may keep. */
  readonly bytes: Buffer;
  /** Each line of `bytes` without its newline (views into `bytes`). */
  readonly lines: readonly Buffer[];
  /**
   * On the lines of a compressed frame (none when it cannot be decompressed), and on an empty chunk that
   * reports the compressed file's damaged or cut-off end: what reading it found, for verify.
   */
  readonly frame?: FrameRead;
}

const CHUNK = 1 << 20;
const NOTHING = Buffer.alloc(0);

/** The whole lines of `bytes` (views), leaving out anything after the last newline. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(10, start); nl >= 0; nl = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return lines;
}

/** Opens a journal's plain file; null when it does not exist. */
async function openPlain(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The plain file's bytes from `pos` to `end` in chunks of whole lines; returns the length of a line left
 * unfinished at `end` (0 when it ends with a newline).
 */
async function* plainChunks(fh: FileHandle, pos: number, end: number): AsyncGenerator<JournalChunk, number> {
  let carry: Buffer | null = null;
  while (pos < end) {
    const want = Math.min(CHUNK, end - pos);
    const buf = Buffer.allocUnsafe((carry?.length ?? 0) + want);
    const head = carry ? carry.copy(buf, 0) : 0;
    const { bytesRead } = await fh.read(buf, head, want, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const data = buf.subarray(0, head + bytesRead);
    const last = data.lastIndexOf(10);
    if (last < 0) {
      carry = Buffer.from(data);
      continue;
    }
    const bytes = data.subarray(0, last + 1);
    carry = last + 1 < data.length ? Buffer.from(data.subarray(last + 1)) : null;
    yield { bytes, lines: splitLines(bytes) };
  }
  return carry?.length ?? 0;
}

/**
 * The journal at `path` as it is when the call starts (or its first `upTo` bytes), in chunks of whole lines:
 * first its compressed frames (capture/journal-frames.ts), then its plain file, together the bytes a
 * writer without compression would have written (`upTo` counts those). A line still being written (or torn
 * by a crash) at the end is left out, and the generator returns its length in bytes (0 when the journal
 * ends with a newline). Yields nothing for a missing journal; rejects on other errors.
 */
export async function* journalChunks(path: string, upTo?: number): AsyncGenerator<JournalChunk, number> {
  // The plain file first: one the writer replaces after this still reads whole through `fh`.
  const fh = await openPlain(path);
  try {
    const limit = upTo ?? Number.POSITIVE_INFINITY;
    let at = 0;
    let lastSeal = 0;
    for await (const f of readFrames(compressedPath(path))) {
      if (at >= limit) break;
      if (f.kind !== 'frame') {
        yield { bytes: NOTHING, lines: [], frame: f };
        break;
      }
      lastSeal = f.header.sealTo;
      let bytes = f.raw ?? NOTHING;
      // A cut (sealedLength) falls after a seal, so on a line's end.
      if (at + bytes.length > limit) bytes = bytes.subarray(0, limit - at);
      bytes = bytes.subarray(0, bytes.lastIndexOf(10) + 1);
      at += f.header.size;
      yield { bytes, lines: splitLines(bytes), frame: f };
    }
    if (fh === null) return 0;
    // The running capture keeps appending: stop at the size seen now, so the export is one consistent cut.
    const start = await plainStart(fh, lastSeal);
    const size = (await fh.stat()).size;
    const end = Math.min(size, start + Math.max(0, limit - at));
    return yield* plainChunks(fh, start, end);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * The length of the journal at `path` (as journalChunks counts it) up to the end of its last seal: what a
 * running capture has sealed so far (its writer may be between a block and its seal). The whole length when
 * the journal has no seal at all (written before sealing); 0 when it does not exist. Reads only the headers
 * of compressed frames, each of which ends with a seal.
 */
export async function sealedLength(path: string): Promise<number> {
  const fh = await openPlain(path);
  try {
    const { size: framed, last } = await frameSummary(compressedPath(path));
    let sealedEnd = last !== null ? framed : -1;
    if (fh === null) return Math.max(0, sealedEnd);
    const start = await plainStart(fh, last?.sealTo ?? 0);
    let pos = framed;
    const chunks = plainChunks(fh, start, (await fh.stat()).size);
    let step = await chunks.next();
    for (; !step.done; step = await chunks.next()) {
      for (const line of step.value.lines) {
        pos += line.length + 1;
        if (isSealBytes(line, 0, line.length)) sealedEnd = pos;
      }
    }
    return sealedEnd >= 0 ? sealedEnd : pos + step.value;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
