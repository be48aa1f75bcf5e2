import type { ExchangeRecord, JournalNumber } from '../capture/types';

/**
 * Finished exchanges packed into one ArrayBuffer, so the DNS thread hands the main thread a batch as a
 * single transferable (moved, not copied) instead of a structured clone of many small objects.
 *
 * Layout per record, little-endian: ts f64, latencyMs f64, clientPort u16, size u32, flags u8, then the
 * strings (u32 byte length + UTF-8) client, transport, qname, qtype, rcode, answers, upstream, error,
 * watchRule, [source], then the bytes (u32 length + bytes) queryWire, [responseWire], and when forwarded:
 * id u16, sentAt f64, local address (string), local port u16, response (bytes); when journaled: journal u32,
 * seq f64, offset i16, time (string).
 */

const HAS_SOURCE = 1;
const HAS_RESPONSE = 2;
const HAS_FORWARDED = 4;
/** `forwarded` present but null (no upstream answered), which differs from absent. */
const FORWARDED_NULL = 8;
const HAS_JOURNALED = 16;

const encoder = new TextEncoder();

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Appends records to a growing buffer; `take()` hands the bytes over and starts afresh. */
export class RecordBatchWriter {
  private buf: ArrayBuffer;
  private view: DataView;
  private bytes: Uint8Array;
  private pos = 0;
  private n = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = new ArrayBuffer(initialBytes);
    this.view = new DataView(this.buf);
    this.bytes = new Uint8Array(this.buf);
  }

  /** Records appended since the last take(). */
  get count(): number {
    return this.n;
  }

  /** Bytes appended since the last take(). */
  get size(): number {
    return this.pos;
  }

  /**
   * Appends `rec`; `journaled` (default: the record's own) is passed apart so the DNS thread does not copy
   * each record into a new object to add it: one shape of record reaches this code, and it stays fast.
   */
  add(rec: ExchangeRecord, journaled: JournalNumber | undefined = rec.journaled): void {
    const fwd = rec.forwarded;
    const flags =
      (rec.source !== undefined ? HAS_SOURCE : 0) |
      (rec.responseWire !== null ? HAS_RESPONSE : 0) |
      (fwd ? HAS_FORWARDED : 0) |
      (fwd === null ? FORWARDED_NULL : 0) |
      (journaled !== undefined ? HAS_JOURNALED : 0);
    this.reserve(23);
    const v = this.view;
    v.setFloat64(this.pos, rec.ts, true);
    v.setFloat64(this.pos + 8, rec.latencyMs, true);
    v.setUint16(this.pos + 16, rec.clientPort, true);
    v.setUint32(this.pos + 18, rec.size, true);
    v.setUint8(this.pos + 22, flags);
    this.pos += 23;
    this.str(rec.client);
    this.str(rec.transport);
    this.str(rec.qname);
    this.str(rec.qtype);
    this.str(rec.rcode);
    this.str(rec.answers);
    this.str(rec.upstream);
    this.str(rec.error);
    this.str(rec.watchRule);
    if (rec.source !== undefined) this.str(rec.source);
    this.blob(rec.queryWire);
    if (rec.responseWire !== null) this.blob(rec.responseWire);
    if (fwd) {
      this.reserve(10);
      this.view.setUint16(this.pos, fwd.id, true);
      this.view.setFloat64(this.pos + 2, fwd.sentAt, true);
      this.pos += 10;
      this.str(fwd.local.address);
      this.reserve(2);
      this.view.setUint16(this.pos, fwd.local.port, true);
      this.pos += 2;
      this.blob(fwd.response);
    }
    const num = journaled;
    if (num !== undefined) {
      this.reserve(14);
      this.view.setUint32(this.pos, num.journal, true);
      this.view.setFloat64(this.pos + 4, num.seq, true);
      this.view.setInt16(this.pos + 12, num.offset, true);
      this.pos += 14;
      this.str(num.time);
    }
    this.n++;
  }

  /** The records added so far as one ArrayBuffer of exactly their size (to transfer), and a fresh start. */
  take(): { buffer: ArrayBuffer; count: number } {
    const out = this.buf.slice(0, this.pos);
    const count = this.n;
    this.pos = 0;
    this.n = 0;
    return { buffer: out, count };
  }

  private str(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const n = s.length;
    this.reserve(4 + n * 3);
    const bytes = this.bytes;
    const at = this.pos + 4;
    // Names, addresses and codes are ASCII: copied as they are, without a view and an encoder call each.
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      bytes[at + i] = c;
    }
    const written = i === n ? n : encoder.encodeInto(s, bytes.subarray(at)).written;
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  private blob(b: Uint8Array): void {
    this.reserve(4 + b.byteLength);
    this.view.setUint32(this.pos, b.byteLength, true);
    this.bytes.set(b, this.pos + 4);
    this.pos += 4 + b.byteLength;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = Math.max(this.buf.byteLength * 2, this.initialBytes);
    while (size < this.pos + n) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.bytes.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next);
    this.bytes = new Uint8Array(next);
  }
}

/**
 * The records of a batch made by RecordBatchWriter, in order. Their byte fields are views into `buffer`
 * (no copy). Throws a RangeError on a buffer that is not such a batch.
 */
export function readRecordBatch(buffer: ArrayBuffer, count: number): ExchangeRecord[] {
  const view = new DataView(buffer);
  const bytes = Buffer.from(buffer);
  let pos = 0;
  const str = (): string => {
    const n = view.getUint32(pos, true);
    pos += 4;
    if (pos + n > bytes.byteLength) throw new RangeError('record batch: a string runs past the end');
    const s = n === 0 ? '' : bytes.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const blob = (): Buffer => {
    const n = view.getUint32(pos, true);
    pos += 4;
    if (pos + n > bytes.byteLength) throw new RangeError('record batch: bytes run past the end');
    const b = Buffer.from(buffer, pos, n);
    pos += n;
    return b;
  };
  const out: ExchangeRecord[] = [];
  for (let i = 0; i < count; i++) {
    const ts = view.getFloat64(pos, true);
    const latencyMs = view.getFloat64(pos + 8, true);
    const clientPort = view.getUint16(pos + 16, true);
    const size = view.getUint32(pos + 18, true);
    const flags = view.getUint8(pos + 22);
    pos += 23;
    const client = str();
    const transport = str() as ExchangeRecord['transport'];
    const qname = str();
    const qtype = str();
    const rcode = str();
    const answers = str();
    const upstream = str();
    const error = str();
    const watchRule = str();
    const source = flags & HAS_SOURCE ? str() : undefined;
    const queryWire = blob();
    const responseWire = flags & HAS_RESPONSE ? blob() : null;
    let forwarded: ExchangeRecord['forwarded'];
    if (flags & HAS_FORWARDED) {
      const id = view.getUint16(pos, true);
      const sentAt = view.getFloat64(pos + 2, true);
      pos += 10;
      const address = str();
      const port = view.getUint16(pos, true);
      pos += 2;
      forwarded = { ok: true, id, sentAt, local: { address, port }, response: blob() };
    } else if (flags & FORWARDED_NULL) forwarded = null;
    let journaled: ExchangeRecord['journaled'];
    if (flags & HAS_JOURNALED) {
      const journal = view.getUint32(pos, true);
      const seq = view.getFloat64(pos + 4, true);
      const offset = view.getInt16(pos + 12, true);
      pos += 14;
      journaled = { journal, seq, offset, time: str() };
    }
    // Built in one order, the optional fields added last: the main thread sees few shapes of record.
    const rec: Mutable<ExchangeRecord> = {
      ts,
      client,
      clientPort,
      transport,
      qname,
      qtype,
      rcode,
      answers,
      latencyMs,
      upstream,
      size,
      error,
      watchRule,
      queryWire,
      responseWire,
    };
    if (source !== undefined) rec.source = source;
    if (forwarded !== undefined) rec.forwarded = forwarded;
    if (journaled !== undefined) rec.journaled = journaled;
    out.push(rec);
  }
  return out;
}
