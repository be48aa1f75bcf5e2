import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GENESIS, isSealBytes, parseSealLine } from './chain';

/**
 * The compressed part of a journal (docs/EVIDENCE.md). Sealed lines move from `journal.ndjson` into
 * `journal.ndjson.gz` in frames, each one gzip member (RFC 1952) whose uncompressed bytes are exactly the
 * journal lines as written (records, loss lines, seals), so `zcat journal.ndjson.gz journal.ndjson` is the
 * journal a writer without compression would have left, hash chain and all. A member's extra field
 * (RFC 1952 section 2.3.1.1, subfield "DW") holds the frame header, ASCII JSON:
 * `{"frame":F,"seals":[N1,N2],"count":C,"from":A,"to":B,"size":U,"bytes":L,"head":H,"sha256":Z}`: seals N1..N2
 * inside, C records sealed so far, record seqs A..B, U uncompressed and L deflate bytes, H the chain value of
 * seal N2, and Z = SHA-256(previous Z + "\n" + the L deflate bytes + "#F N1 N2 C U H\n"), the first previous
 * Z being 64 zeros: the compressed bytes are bound to their place in the chain, so a changed byte is named
 * by frame and offset without decompressing anything.
 */
export const COMPRESSED_SUFFIX = '.gz';

/** Where the compressed frames of the journal at `path` are kept. */
export function compressedPath(path: string): string {
  return `${path}${COMPRESSED_SUFFIX}`;
}

export interface FrameHeader {
  /** 1 for the first frame of a journal, then +1 per frame. */
  readonly frame: number;
  /** The first and last seal inside. */
  readonly sealFrom: number;
  readonly sealTo: number;
  /** Records sealed so far, this frame included. */
  readonly count: number;
  /** Seqs of the first and last record inside (0 when it holds none). */
  readonly from: number;
  readonly to: number;
  /** Uncompressed bytes (the journal lines). */
  readonly size: number;
  /** Deflate bytes. */
  readonly bytes: number;
  /** The chain value of seal `sealTo`. */
  readonly head: string;
  readonly sha256: string;
}

const gzipAsync = promisify(gzip);
/**
 * zlib's default level: on a capture of 30,000 queries level 9 compressed 6 % more (ratio 11.2 against 10.5)
 * for four times the CPU (9.9 against 2.4 ms per 256 KiB frame, about 17 against 4 µs per query, on a busy
 * 2-core machine), CPU the DNS path needs at full load.
 */
const FRAME_LEVEL = 6;
const gunzipAsync = promisify(gunzip);
const HEX64 = /^[0-9a-f]{64}$/;
/** FLG.FEXTRA: the only flag a frame sets (RFC 1952 section 2.3.1). */
const FEXTRA = 0x04;
/** Bytes before the header's JSON: 10 of gzip, XLEN, then the subfield's id and length. */
const HEAD_BYTES = 16;
const TRAILER_BYTES = 8;

function headerJson(h: FrameHeader): string {
  return `{"frame":${h.frame},"seals":[${h.sealFrom},${h.sealTo}],"count":${h.count},"from":${h.from},"to":${h.to},"size":${h.size},"bytes":${h.bytes},"head":"${h.head}","sha256":"${h.sha256}"}`;
}

/** Z for a frame (see above). */
export function frameHash(prev: string, deflated: Uint8Array, h: Omit<FrameHeader, 'sha256'>): string {
  return createHash('sha256')
    .update(`${prev}\n`)
    .update(deflated)
    .update(`#${h.frame} ${h.sealFrom} ${h.sealTo} ${h.count} ${h.size} ${h.head}\n`)
    .digest('hex');
}

/**
 * The gzip member of one frame of journal lines `raw`, compressed on the thread pool (zlib's async API), so
 * the event loop is free meanwhile.
 */
export async function encodeFrame(
  raw: Uint8Array,
  prev: string,
  h: Omit<FrameHeader, 'size' | 'bytes' | 'sha256'>,
  level = FRAME_LEVEL,
): Promise<{ readonly member: Buffer; readonly header: FrameHeader }> {
  const gz = await gzipAsync(raw, { level, memLevel: 9 });
  // zlib writes a bare 10-byte header; ours, with the frame header in its extra field, replaces it.
  if (gz[3] !== 0) throw new Error('zlib wrote an unexpected gzip header');
  const deflated = gz.subarray(10, gz.length - TRAILER_BYTES);
  const unsigned = { ...h, size: raw.length, bytes: deflated.length };
  const header: FrameHeader = { ...unsigned, sha256: frameHash(prev, deflated, unsigned) };
  const json = Buffer.from(headerJson(header), 'latin1');
  // Magic, deflate, FLG.FEXTRA, MTIME 0, XFL 0, OS 255 (unknown); XLEN; subfield "DW" and its length.
  const head = Buffer.from([0x1f, 0x8b, 8, FEXTRA, 0, 0, 0, 0, 0, 255, 0, 0, 0x44, 0x57, 0, 0]);
  head.writeUInt16LE(json.length + 4, 10);
  head.writeUInt16LE(json.length, 14);
  return { member: Buffer.concat([head, json, deflated, gz.subarray(gz.length - TRAILER_BYTES)]), header };
}

const whole = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** The frame header in a member's first bytes; null when they are not one of ours. Never throws. */
function parseHeader(json: Buffer): FrameHeader | null {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('latin1'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { frame, seals, count, from, to, size, bytes, head, sha256 } = v as Record<string, unknown>;
  if (!Array.isArray(seals) || seals.length !== 2 || !whole(seals[0]) || !whole(seals[1])) return null;
  if (![frame, count, from, to, size, bytes].every(whole)) return null;
  if (typeof head !== 'string' || !HEX64.test(head) || typeof sha256 !== 'string' || !HEX64.test(sha256))
    return null;
  return {
    frame: frame as number,
    sealFrom: seals[0],
    sealTo: seals[1],
    count: count as number,
    from: from as number,
    to: to as number,
    size: size as number,
    bytes: bytes as number,
    head,
    sha256,
  };
}

/** What reading one frame found. */
export type FrameRead =
  /** A whole frame: `raw` its lines (null when they cannot be decompressed, `error` says why). */
  | {
      readonly kind: 'frame';
      readonly offset: number;
      /** Bytes of the whole member. */
      readonly length: number;
      readonly header: FrameHeader;
      /** The deflate bytes match the header's SHA-256 (chained from the frame before). */
      readonly hashOk: boolean;
      readonly raw: Buffer | null;
      readonly error: string;
    }
  /** The file ends inside a frame: written while the app stopped (its lines are still in the plain file). */
  | { readonly kind: 'torn'; readonly offset: number; readonly length: number }
  /** Bytes that are not a frame of ours: nothing after them can be read. */
  | { readonly kind: 'bad'; readonly offset: number; readonly message: string };

/**
 * The frames of the compressed journal at `path` in file order, up to its size when the call starts
 * (`fh` when given, else opened and closed here). With `payload` false only headers are read (raw is null,
 * hashOk false). Yields nothing when the file does not exist; rejects on other read errors.
 */
export async function* readFrames(path: string, payload = true, fh?: FileHandle): AsyncGenerator<FrameRead> {
  let handle = fh;
  if (handle === undefined) {
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
  try {
    const size = (await handle.stat()).size;
    let prev = GENESIS;
    let pos = 0;
    const head = Buffer.alloc(HEAD_BYTES);
    while (pos < size) {
      if (size - pos < HEAD_BYTES) {
        yield { kind: 'torn', offset: pos, length: size - pos };
        return;
      }
      await handle.read(head, 0, HEAD_BYTES, pos);
      const xlen = head.readUInt16LE(10);
      const jsonLen = head.readUInt16LE(14);
      if (
        head[0] !== 0x1f ||
        head[1] !== 0x8b ||
        head[2] !== 8 ||
        head[3] !== FEXTRA ||
        head[12] !== 0x44 ||
        head[13] !== 0x57 ||
        xlen !== jsonLen + 4
      ) {
        yield { kind: 'bad', offset: pos, message: 'not a compressed block of this journal' };
        return;
      }
      if (size - pos < HEAD_BYTES + jsonLen) {
        yield { kind: 'torn', offset: pos, length: size - pos };
        return;
      }
      const json = Buffer.alloc(jsonLen);
      await handle.read(json, 0, jsonLen, pos + HEAD_BYTES);
      const header = parseHeader(json);
      if (header === null) {
        yield { kind: 'bad', offset: pos, message: 'its header is damaged' };
        return;
      }
      const length = HEAD_BYTES + jsonLen + header.bytes + TRAILER_BYTES;
      if (size - pos < length) {
        yield { kind: 'torn', offset: pos, length: size - pos };
        return;
      }
      let raw: Buffer | null = null;
      let hashOk = false;
      let error = '';
      if (payload) {
        const member = Buffer.allocUnsafe(length);
        await handle.read(member, 0, length, pos);
        const deflated = member.subarray(HEAD_BYTES + jsonLen, length - TRAILER_BYTES);
        hashOk = frameHash(prev, deflated, header) === header.sha256;
        try {
          raw = await gunzipAsync(member);
          if (raw.length !== header.size) {
            error = `it holds ${raw.length} bytes, its header says ${header.size}`;
            raw = null;
          }
        } catch (err) {
          error = (err as Error).message;
        }
      }
      yield { kind: 'frame', offset: pos, length, header, hashOk, raw, error };
      // The next frame is checked against what this one says, so one change is named once.
      prev = header.sha256;
      pos += length;
    }
  } finally {
    if (fh === undefined) await handle.close().catch(() => undefined);
  }
}

/** The compressed frames' headers only: the last whole one, their count and the uncompressed bytes in them. */
export async function frameSummary(
  path: string,
  fh?: FileHandle,
): Promise<{ readonly last: FrameHeader | null; readonly frames: number; readonly size: number }> {
  let last: FrameHeader | null = null;
  let frames = 0;
  let size = 0;
  for await (const f of readFrames(path, false, fh)) {
    if (f.kind !== 'frame') break;
    last = f.header;
    frames++;
    size += f.header.size;
  }
  return { last, frames, size };
}

const READ_BYTES = 1 << 20;

/**
 * Where the plain file's own lines start: after every line of a block whose seal is `lastSeal` or before.
 * A writer stopped between writing a frame and starting a new plain file leaves those lines in both; the
 * frame is read, the plain copy skipped. 0 when `lastSeal` is 0 or the plain file starts after it.
 */
export async function plainStart(fh: FileHandle, lastSeal: number): Promise<number> {
  if (lastSeal === 0) return 0;
  const size = (await fh.stat()).size;
  const buf = Buffer.allocUnsafe(READ_BYTES);
  let carry: Buffer | null = null;
  let pos = 0;
  let skip = 0;
  while (pos < size) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(READ_BYTES, size - pos), pos);
    if (bytesRead === 0) break;
    const data: Buffer = carry
      ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
      : buf.subarray(0, bytesRead);
    const dataStart = pos - (carry ? carry.length : 0);
    pos += bytesRead;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      if (isSealBytes(data, start, nl)) {
        const seal = parseSealLine(data.toString('utf8', start, nl));
        if (seal === null || seal.n > lastSeal) return skip;
        skip = dataStart + nl + 1;
      }
      start = nl + 1;
    }
    carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
  }
  return skip;
}
