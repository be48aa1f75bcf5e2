import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { isSealBytes } from '../capture/chain';

/** Complete journal lines read in one go. */
export interface JournalChunk {
  /** The lines' bytes with their newlines, exactly as on disk; a fresh buffer the caller may keep. */
  readonly bytes: Buffer;
  /** Each line of `bytes` without its newline (views into `bytes`). */
  readonly lines: readonly Buffer[];
}

const CHUNK = 1 << 20;

/**
 * The journal at `path` as it is when the call starts (or its first `upTo` bytes), in chunks of whole lines:
 * a line still being written (or torn by a crash) at the end is left out, and the generator returns its length
 * in bytes (0 when the journal ends with a newline). Yields nothing for a missing file; rejects on other
 * errors.
 */
export async function* journalChunks(path: string, upTo?: number): AsyncGenerator<JournalChunk, number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    // The running capture keeps appending: stop at the size seen now, so the export is one consistent cut.
    const end = Math.min((await fh.stat()).size, upTo ?? Number.POSITIVE_INFINITY);
    let pos = 0;
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
      const lines: Buffer[] = [];
      let start = 0;
      for (let nl = bytes.indexOf(10, start); nl >= 0; nl = bytes.indexOf(10, start)) {
        lines.push(bytes.subarray(start, nl));
        start = nl + 1;
      }
      yield { bytes, lines };
    }
    return carry?.length ?? 0;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * The length of the journal at `path` up to the end of its last seal line: what a running capture has
 * sealed so far (its writer may be between a block and its seal). The whole size when the journal has no
 * seal at all (written before sealing); 0 when it does not exist.
 */
export async function sealedLength(path: string): Promise<number> {
  let size = 0;
  let sealedEnd = -1;
  for await (const chunk of journalChunks(path)) {
    let pos = size;
    for (const line of chunk.lines) {
      pos += line.length + 1;
      if (isSealBytes(line, 0, line.length)) sealedEnd = pos;
    }
    size += chunk.bytes.length;
  }
  return sealedEnd >= 0 ? sealedEnd : size;
}
