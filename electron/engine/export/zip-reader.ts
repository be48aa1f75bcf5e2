import type { FileHandle } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';

/** One file listed in a zip's central directory. */
export interface ZipListing {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly compression: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly headerOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(fh: FileHandle, pos: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, pos);
  return buf.subarray(0, bytesRead);
}

/**
 * The files a zip's central directory lists, in order. Reading the directory (not scanning local headers)
 * is what every unzip tool does and cannot be fooled by file contents. Throws when there is none.
 */
export async function listZip(fh: FileHandle): Promise<ZipListing[]> {
  const { size } = await fh.stat();
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end-of-archive record)');
  const count = tail.readUInt16LE(eocd + 10);
  const dirSize = tail.readUInt32LE(eocd + 12);
  const dirOffset = tail.readUInt32LE(eocd + 16);
  if (dirOffset + dirSize > size) throw new Error('the zip directory points past the end of the file');
  const dir = await readAt(fh, dirOffset, dirSize);
  const out: ZipListing[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL)
      throw new Error('the zip directory is damaged');
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    out.push({
      compression: dir.readUInt16LE(p + 10),
      crc: dir.readUInt32LE(p + 16),
      compressedSize: dir.readUInt32LE(p + 20),
      size: dir.readUInt32LE(p + 24),
      headerOffset: dir.readUInt32LE(p + 42),
      name: dir.toString('utf8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

const CHUNK = 1 << 20;

/**
 * The uncompressed bytes of one entry, in chunks. Rejects when the entry cannot be read (damaged
 * header or deflate stream, unknown compression).
 */
export async function* readZipEntry(fh: FileHandle, entry: ZipListing): AsyncGenerator<Buffer> {
  const header = await readAt(fh, entry.headerOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw new Error('its local header is damaged');
  let pos = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const end = pos + entry.compressedSize;
  if (entry.compression !== 0 && entry.compression !== 8)
    throw new Error(`unknown compression method ${entry.compression}`);
  if (entry.compression === 0) {
    while (pos < end) {
      const chunk = await readAt(fh, pos, Math.min(CHUNK, end - pos));
      if (chunk.length === 0) throw new Error('the file ends early');
      pos += chunk.length;
      yield chunk;
    }
    return;
  }
  const inflate = createInflateRaw();
  const out: Buffer[] = [];
  let failure: Error | null = null;
  let ended = false;
  inflate.on('data', (d: Buffer) => out.push(d));
  inflate.on('error', (e: Error) => (failure = e));
  const finished = new Promise<void>((resolve) => {
    inflate.on('end', () => {
      ended = true;
      resolve();
    });
    inflate.on('close', resolve);
  });
  while (pos < end) {
    const chunk = await readAt(fh, pos, Math.min(CHUNK, end - pos));
    if (chunk.length === 0) throw new Error('the file ends early');
    pos += chunk.length;
    if (!inflate.write(chunk)) await new Promise<void>((r) => inflate.once('drain', r));
    if (failure) throw new Error(`its compressed data is damaged (${(failure as Error).message})`);
    while (out.length > 0) yield out.shift()!;
  }
  inflate.end();
  await finished;
  if (failure) throw new Error(`its compressed data is damaged (${(failure as Error).message})`);
  if (!ended) throw new Error('its compressed data ends early');
  while (out.length > 0) yield out.shift()!;
}
