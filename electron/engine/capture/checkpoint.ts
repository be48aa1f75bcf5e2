import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import { compressedPath } from './journal-frames';

/**
 * A stopped capture's checkpoint: what the dashboard and the watchlist need of it without its journal (counts,
 * per-client totals, per-minute counts, the watched queries), so a start takes it in at once instead of
 * reading the journal. Written beside the journal (atomically) when the capture stops or is first read, and
 * bound to the journal as it was then: a journal that changed since makes the checkpoint count as mismatched.
 *
 * Layout (version 1): MAGIC, a version byte, then unsigned LEB128 varints (zigzag where a value may be
 * negative), JSON string tables (exact for any JS string, lone surrogates included) and, when some time is not
 * a whole number of ms, times as float64; last, the SHA-256 of everything before it. About 3 bytes per watched
 * query and 2 per (minute, client) pair: a few hundred KB for a million queries.
 */
export const CHECKPOINT_FILE = 'checkpoint.bin';
export const CHECKPOINT_VERSION = 1;
const MAGIC = Buffer.from('DNSWITNESS-CHECKPOINT\n', 'latin1');
const HASH_BYTES = 32;
/** How much of each journal file's end the binding hashes: the closing seal and its block, or the last frame's end. */
const TAIL_BYTES = 4096;

/**
 * The journal a checkpoint was made from: both files' sizes and a hash of their ends (where the closing seal,
 * and the last frame holding it, are). A stopped capture's journal only changes by being written to, cut or
 * replaced, and each of those changes a size or its end; a change in the middle that keeps every size is
 * tampering, which `npm run verify` finds through the hash chain.
 */
export interface JournalBinding {
  readonly plainBytes: number;
  readonly gzBytes: number;
  /** SHA-256 of the last TAIL_BYTES of each file ("" hashed for a missing one). */
  readonly plainTail: Buffer;
  readonly gzTail: Buffer;
}

/** The watched queries of a capture in record order: time and (client, rule, name) group per row. */
export interface WatchedRows {
  readonly ts: Float64Array;
  readonly group: Uint32Array;
  readonly groups: readonly { readonly client: string; readonly rule: string; readonly qname: string }[];
}

/** One minute's counts: parallel arrays of client ids (into CheckpointData.clients) and their queries. */
export interface MinuteEntry {
  readonly minute: number;
  readonly clients: readonly number[];
  readonly counts: readonly number[];
}

/** What a checkpoint holds of a capture. Times are epoch ms; seqs as the journal numbers them. */
export interface CheckpointData {
  readonly id: string;
  readonly queries: number;
  /** The journal's last seq (an import's own numbering, before the store places it). */
  readonly lastSeq: number;
  /** Earliest and latest query time, and the last row's; 0 when there is none. */
  readonly minTs: number;
  readonly maxTs: number;
  readonly lastTs: number;
  /** Per client id: address, queries, first and last query time. */
  readonly clients: readonly string[];
  readonly clientQueries: readonly number[];
  readonly clientFirst: readonly number[];
  readonly clientLast: readonly number[];
  readonly minutes: readonly MinuteEntry[];
  readonly watched: WatchedRows;
}

/** What reading a checkpoint found: the data, or why it cannot be used (only damaged and mismatched warn). */
export type CheckpointRead =
  | { readonly kind: 'ok'; readonly data: CheckpointData }
  | { readonly kind: 'missing' | 'old' | 'damaged' | 'mismatched'; readonly reason: string };

const EMPTY_HASH = createHash('sha256').digest();

async function tailOf(path: string): Promise<{ size: number; tail: Buffer }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { size: 0, tail: EMPTY_HASH };
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, size - length + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { size, tail: createHash('sha256').update(buf.subarray(0, got)).digest() };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The binding of the journal at `journalPath` (plain file and its compressed frames) as it is now; rejects when unreadable. */
export async function journalBinding(journalPath: string): Promise<JournalBinding> {
  const plain = await tailOf(journalPath);
  const gz = await tailOf(compressedPath(journalPath));
  return { plainBytes: plain.size, gzBytes: gz.size, plainTail: plain.tail, gzTail: gz.tail };
}

function sameBinding(a: JournalBinding, b: JournalBinding): boolean {
  return (
    a.plainBytes === b.plainBytes &&
    a.gzBytes === b.gzBytes &&
    a.plainTail.equals(b.plainTail) &&
    a.gzTail.equals(b.gzTail)
  );
}

class ByteWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** An unsigned integer up to 2^53 as LEB128 (arithmetic, not 32-bit shifts). */
  uint(v: number): void {
    this.room(8);
    while (v >= 128) {
      this.buf[this.length++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  /** A signed integer, zigzag-mapped so small magnitudes stay short. */
  int(v: number): void {
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  strings(list: readonly string[]): void {
    const text = Buffer.from(JSON.stringify(list), 'utf8');
    this.uint(text.length);
    this.bytes(text);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

class Damaged extends Error {}

class ByteReader {
  at = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    if (this.at >= this.buf.length) throw new Damaged('it ends too early');
    return this.buf[this.at++]!;
  }

  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new Damaged('it ends too early');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      v += (b & 127) * scale;
      if (b < 128) break;
      scale *= 128;
      if (scale > 2 ** 56) throw new Damaged('a number is too long');
    }
    return v;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    const v = this.bytes(8).readDoubleLE(0);
    return v;
  }

  strings(): string[] {
    const text = this.bytes(this.uint()).toString('utf8');
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw new Damaged('a string table is not one');
    return v as string[];
  }

  count(max: number): number {
    const n = this.uint();
    if (n > max) throw new Damaged('a count is larger than the file');
    return n;
  }

  get remaining(): number {
    return this.buf.length - this.at;
  }
}

/** Whole ms that deltas can carry exactly; any other time makes the checkpoint store float64 times. */
function wholeMs(v: number): boolean {
  return Number.isSafeInteger(v) && Math.abs(v) < 2 ** 50;
}

function allWhole(data: CheckpointData): boolean {
  if (![data.minTs, data.maxTs, data.lastTs].every(wholeMs)) return false;
  for (let i = 0; i < data.clients.length; i++)
    if (!wholeMs(data.clientFirst[i]!) || !wholeMs(data.clientLast[i]!)) return false;
  for (const m of data.minutes) if (!wholeMs(m.minute)) return false;
  for (const ts of data.watched.ts) if (!wholeMs(ts)) return false;
  return true;
}

/** The checkpoint file's bytes for `data` bound to `binding`. */
export function encodeCheckpoint(data: CheckpointData, binding: JournalBinding): Buffer {
  const w = new ByteWriter();
  w.bytes(MAGIC);
  w.byte(CHECKPOINT_VERSION);
  w.uint(binding.plainBytes);
  w.uint(binding.gzBytes);
  w.bytes(binding.plainTail);
  w.bytes(binding.gzTail);
  w.strings([data.id]);
  const whole = allWhole(data);
  w.byte(whole ? 0 : 1);
  // A time: as a delta from `prev` when every time is whole ms, else as it is.
  const time = (v: number, prev: number): void => (whole ? w.int(v - prev) : w.f64(v));
  w.uint(data.queries);
  w.uint(data.lastSeq);
  time(data.minTs, 0);
  time(data.maxTs, data.minTs);
  time(data.lastTs, data.minTs);
  w.strings(data.clients);
  for (let id = 0; id < data.clients.length; id++) {
    w.uint(data.clientQueries[id]!);
    time(data.clientFirst[id]!, data.minTs);
    time(data.clientLast[id]!, data.clientFirst[id]!);
  }
  w.uint(data.minutes.length);
  let prevMinute = data.minTs;
  for (const m of data.minutes) {
    time(m.minute, prevMinute);
    prevMinute = m.minute;
    w.uint(m.clients.length);
    for (let i = 0; i < m.clients.length; i++) {
      w.uint(m.clients[i]!);
      w.uint(m.counts[i]!);
    }
  }
  const { groups, ts, group } = data.watched;
  w.strings(groups.map((g) => g.client));
  w.strings(groups.map((g) => g.rule));
  w.strings(groups.map((g) => g.qname));
  w.uint(ts.length);
  let prevTs = data.minTs;
  for (let i = 0; i < ts.length; i++) {
    time(ts[i]!, prevTs);
    prevTs = ts[i]!;
    w.uint(group[i]!);
  }
  const body = w.done();
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** What a checkpoint says before its tables: enough to place its capture's seqs without decoding the rest. */
export interface CheckpointHead {
  readonly id: string;
  readonly queries: number;
  /** The journal's last seq (an import's own numbering). */
  readonly lastSeq: number;
}

/** The checked body's reader past the version byte; throws Damaged or returns 'old' for another version. */
function bodyReader(buf: Buffer): ByteReader | 'old' {
  if (buf.length < MAGIC.length + 1 + HASH_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Damaged('it is not a checkpoint');
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - HASH_BYTES))
  )
    throw new Damaged('its checksum does not match');
  const r = new ByteReader(body);
  r.bytes(MAGIC.length);
  return r.byte() === CHECKPOINT_VERSION ? r : 'old';
}

function decodeBinding(r: ByteReader): JournalBinding {
  return {
    plainBytes: r.uint(),
    gzBytes: r.uint(),
    plainTail: Buffer.from(r.bytes(HASH_BYTES)),
    gzTail: Buffer.from(r.bytes(HASH_BYTES)),
  };
}

/** Decodes checkpoint bytes up to the last seq; throws Damaged (with a reason) or returns 'old'. */
function decodeHead(buf: Buffer): { binding: JournalBinding; data: CheckpointHead } | 'old' {
  const r = bodyReader(buf);
  if (r === 'old') return r;
  const binding = decodeBinding(r);
  const [id] = r.strings();
  r.byte();
  if (id === undefined) throw new Damaged('it names no capture');
  return { binding, data: { id, queries: r.uint(), lastSeq: r.uint() } };
}

/** Decodes checkpoint bytes; throws Damaged (with a reason) or returns 'old' for another version. */
function decode(buf: Buffer): { binding: JournalBinding; data: CheckpointData } | 'old' {
  const r = bodyReader(buf);
  if (r === 'old') return r;
  const binding = decodeBinding(r);
  const [id] = r.strings();
  const whole = r.byte() === 0;
  const time = (prev: number): number => (whole ? prev + r.int() : r.f64());
  const queries = r.uint();
  const lastSeq = r.uint();
  const minTs = time(0);
  const maxTs = time(minTs);
  const lastTs = time(minTs);
  const clients = r.strings();
  const clientQueries: number[] = [];
  const clientFirst: number[] = [];
  const clientLast: number[] = [];
  for (let id = 0; id < clients.length; id++) {
    clientQueries.push(r.uint());
    const first = time(minTs);
    clientFirst.push(first);
    clientLast.push(time(first));
  }
  const minutes: MinuteEntry[] = [];
  const minuteCount = r.count(r.remaining);
  let prevMinute = minTs;
  for (let m = 0; m < minuteCount; m++) {
    const minute = time(prevMinute);
    prevMinute = minute;
    const n = r.count(r.remaining);
    const ids: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = r.uint();
      if (id >= clients.length) throw new Damaged('a minute names a client it does not list');
      ids.push(id);
      counts.push(r.uint());
    }
    minutes.push({ minute, clients: ids, counts });
  }
  const gClients = r.strings();
  const gRules = r.strings();
  const gNames = r.strings();
  if (gRules.length !== gClients.length || gNames.length !== gClients.length)
    throw new Damaged('its watched groups do not line up');
  const groups = gClients.map((client, i) => ({ client, rule: gRules[i]!, qname: gNames[i]! }));
  const rows = r.count(r.remaining);
  const ts = new Float64Array(rows);
  const group = new Uint32Array(rows);
  let prevTs = minTs;
  for (let i = 0; i < rows; i++) {
    prevTs = ts[i] = time(prevTs);
    const g = r.uint();
    if (g >= groups.length) throw new Damaged('a watched query names a group it does not list');
    group[i] = g;
  }
  if (r.remaining !== 0) throw new Damaged('it holds more than it says');
  if (id === undefined) throw new Damaged('it names no capture');
  return {
    binding,
    data: {
      id,
      queries,
      lastSeq,
      minTs,
      maxTs,
      lastTs,
      clients,
      clientQueries,
      clientFirst,
      clientLast,
      minutes,
      watched: { ts, group, groups },
    },
  };
}

/**
 * Reads the checkpoint in `dir` for capture `id` and checks it against the journal there as it is now. Never
 * rejects: a checkpoint that cannot be read, or whose journal cannot, is reported as damaged or mismatched.
 */
export function readCheckpoint(dir: string, id: string, journalPath: string): Promise<CheckpointRead> {
  return readChecked(dir, id, journalPath, decode);
}

/**
 * The head of the checkpoint in `dir` (its capture's query count and last seq), checked as readCheckpoint
 * checks the whole: what open() needs of a stopped capture without reading its journal's tail.
 */
export function readCheckpointHead(
  dir: string,
  id: string,
  journalPath: string,
): Promise<{ readonly kind: 'ok'; readonly data: CheckpointHead } | Exclude<CheckpointRead, { kind: 'ok' }>> {
  return readChecked(dir, id, journalPath, decodeHead);
}

async function readChecked<T extends { readonly id: string }>(
  dir: string,
  id: string,
  journalPath: string,
  decodeWith: (buf: Buffer) => { binding: JournalBinding; data: T } | 'old',
): Promise<{ readonly kind: 'ok'; readonly data: T } | Exclude<CheckpointRead, { kind: 'ok' }>> {
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, CHECKPOINT_FILE));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { kind: 'missing', reason: 'there is none' };
    return { kind: 'damaged', reason: `it cannot be read (${(err as Error).message})` };
  }
  let decoded: ReturnType<typeof decodeWith>;
  try {
    decoded = decodeWith(buf);
  } catch (err) {
    return {
      kind: 'damaged',
      reason: err instanceof Damaged ? err.message : `it does not decode (${String(err)})`,
    };
  }
  if (decoded === 'old') return { kind: 'old', reason: 'it was written by another version' };
  if (decoded.data.id !== id)
    return { kind: 'mismatched', reason: `it belongs to capture ${decoded.data.id}` };
  let now: JournalBinding;
  try {
    now = await journalBinding(journalPath);
  } catch (err) {
    return { kind: 'mismatched', reason: `its journal cannot be read (${(err as Error).message})` };
  }
  if (!sameBinding(decoded.binding, now))
    return { kind: 'mismatched', reason: 'the journal changed since it was written' };
  return { kind: 'ok', data: decoded.data };
}

/** Writes the checkpoint of `data` into `dir`, bound to the journal as it is now; rejects on I/O errors. */
export async function writeCheckpoint(
  dir: string,
  journalPath: string,
  data: CheckpointData,
): Promise<number> {
  const bytes = encodeCheckpoint(data, await journalBinding(journalPath));
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), bytes);
  return bytes.length;
}
