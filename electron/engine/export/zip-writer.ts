import { createHash } from 'node:crypto';
import { crc32, createDeflateRaw } from 'node:zlib';
import { Zip, type ZipInputFile } from 'fflate';

/** Receives the zip's bytes in order; the writer waits for each promise (back-pressure). */
export type ZipSink = (chunk: Uint8Array) => Promise<void>;

/** What was written for one file. */
export interface ZipEntry {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

// ZIP without ZIP64 (fflate writes none) holds sizes below 4 GiB.
const MAX_ENTRY = 0xffff_ffff;

/**
 * Writes a zip archive as a stream: fflate lays out the archive, Node's zlib deflates on its thread pool so
 * a large bundle does not hold up DNS traffic. Every entry's SHA-256 is computed on the way through.
 * Entries are added one after the other (await each add).
 */
export class ZipWriter {
  private readonly zip: Zip;
  private pending: Uint8Array[] = [];
  private failure: Error | null = null;
  readonly entries: ZipEntry[] = [];

  constructor(
    private readonly sink: ZipSink,
    private readonly mtime: Date,
  ) {
    this.zip = new Zip((err, data) => {
      if (err) this.failure ??= err;
      else this.pending.push(data);
    });
  }

  /** Adds `name` with `content`, deflated when `compress` (a PNG is stored as it is). */
  async add(
    name: string,
    content: Uint8Array | string | AsyncIterable<Uint8Array>,
    compress = true,
  ): Promise<ZipEntry> {
    const file: ZipInputFile = {
      filename: name,
      size: 0,
      crc: 0,
      compression: compress ? 8 : 0,
      mtime: this.mtime,
    };
    this.zip.add(file);
    const push = (chunk: Uint8Array, final: boolean): void =>
      file.ondata!(null, chunk as Uint8Array<ArrayBuffer>, final);
    const hash = createHash('sha256');
    let size = 0;
    let crc = 0;
    const deflate = compress ? createDeflateRaw({ level: 6 }) : null;
    const deflated = deflate
      ? new Promise<void>((resolve, reject) => {
          deflate.on('data', (d: Buffer) => push(d, false));
          deflate.on('end', resolve);
          deflate.on('error', reject);
        })
      : null;
    const take = async (chunk: Uint8Array): Promise<void> => {
      if (chunk.length === 0) return;
      size += chunk.length;
      if (size > MAX_ENTRY) throw new Error(`${name} is larger than a zip without ZIP64 can hold (4 GiB)`);
      hash.update(chunk);
      crc = crc32(chunk, crc);
      if (deflate) {
        if (!deflate.write(chunk)) await new Promise((r) => deflate.once('drain', r));
      } else push(chunk, false);
      await this.drain();
    };
    if (typeof content === 'string') await take(Buffer.from(content, 'utf8'));
    else if (content instanceof Uint8Array) await take(content);
    else for await (const chunk of content) await take(chunk);
    if (deflate && deflated) {
      deflate.end();
      await deflated;
    }
    file.size = size;
    file.crc = crc >>> 0;
    push(new Uint8Array(0), true);
    await this.drain();
    const entry = { name, bytes: size, sha256: hash.digest('hex') };
    this.entries.push(entry);
    return entry;
  }

  /** Writes the central directory; the archive is complete when this resolves. */
  async finish(): Promise<void> {
    this.zip.end();
    await this.drain();
  }

  private async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending.length > 0) {
      const chunks = this.pending;
      this.pending = [];
      for (const c of chunks) await this.sink(c);
    }
  }
}
