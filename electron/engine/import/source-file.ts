import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { SourceFile } from '@shared/events';
import type { SourceInput } from './types';

/** Bytes read from a source file at a time. */
export const READ_CHUNK = 1 << 20;

/**
 * The bytes of one source file in chunks, hashed (SHA-256) as they are read, so a 2 GB file is read once
 * and never held whole. `file()` gives the provenance entry once every byte has been read.
 */
export class HashedReader {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private digest = '';

  constructor(readonly input: SourceInput) {}

  /** Bytes read so far. */
  get position(): number {
    return this.bytes;
  }

  /** The file's chunks in order; each buffer is fresh (the caller may keep it). */
  async *chunks(chunkBytes = READ_CHUNK): AsyncGenerator<Buffer> {
    const fh = await open(this.input.path, 'r');
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await fh.read(buf, 0, chunkBytes, this.bytes);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        this.hash.update(chunk);
        this.bytes += bytesRead;
        yield chunk;
      }
      this.digest = this.hash.digest('hex');
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /**
   * The provenance entry. When the reader did not read the file through chunks() to its end (a database
   * read by random access), the whole file is read and hashed now.
   */
  async complete(): Promise<SourceFile> {
    if (this.digest === '') {
      const again = new HashedReader(this.input);
      for await (const _ of again.chunks()) {
        // Only the hash is wanted.
      }
      return again.complete();
    }
    return { name: this.input.name, bytes: this.bytes, sha256: this.digest };
  }
}

/** One batch of text lines with the 1-based number of its first line. */
export interface LineBatch {
  readonly lines: readonly string[];
  readonly first: number;
}

/**
 * The file's text lines (UTF-8, "\n" or "\r\n"), in batches of about one chunk, with line numbers; the last
 * line needs no newline. `onBytes` gets the bytes consumed after each batch (progress).
 */
export async function* textLines(
  reader: HashedReader,
  onBytes: (n: number) => void,
): AsyncGenerator<LineBatch> {
  let carry: Buffer | null = null;
  let lineNo = 1;
  for await (const chunk of reader.chunks()) {
    const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const last = data.lastIndexOf(10);
    if (last < 0) {
      carry = data;
      continue;
    }
    carry = last + 1 < data.length ? data.subarray(last + 1) : null;
    const lines = data.toString('utf8', 0, last).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
    yield { lines, first: lineNo };
    lineNo += lines.length;
    onBytes(reader.position - (carry?.length ?? 0));
  }
  if (carry !== null && carry.length > 0) {
    let text = carry.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    yield { lines: [text], first: lineNo };
  }
  onBytes(reader.position);
}
