/**
 * Packet captures: the classic pcap format (tcpdump -w; microsecond or nanosecond times, either byte order)
 * and pcapng (dumpcap, tshark -w; RFC draft-ietf-opsawg-pcapng: Section Header, Interface Description with
 * if_tsresol, Enhanced and Simple Packet Blocks, either byte order, several sections and interfaces). Both are
 * small, fixed binary layouts: the npm readers we found are unmaintained or need a native add-on, so they are
 * read here, streamed chunk by chunk, and the frames go to DnsPairer (packets.ts).
 */
import type { HashedReader } from '../source-file';
import { damagedAfter, ImportError, type FormatSpec, type ImportRecord, type ReadContext } from '../types';
import { DnsPairer, knownLinktype } from './packets';

const PCAP_LABEL = 'pcap file';
const PCAPNG_LABEL = 'pcapng file';
/** Larger records than this are damage, not packets (tcpdump's largest snaplen is 262,144). */
const MAX_RECORD = 1 << 20;
/** pcapng blocks may hold more than a packet (name resolution, statistics), but not this much. */
const MAX_BLOCK = 16 << 20;

const PCAP_MAGIC = new Set([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1]);

/**
 * Concatenates the file's chunks as needed and hands out whole records; `offset` is the file offset of
 * `buf[pos]`, for error messages.
 */
class Bytes {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  offset = 0;

  add(chunk: Buffer): void {
    const rest = this.buf.subarray(this.pos);
    this.offset += this.pos;
    this.buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    this.pos = 0;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }
}

function u32(buf: Buffer, at: number, le: boolean): number {
  return le ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}

async function* readPcap(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const name = reader.input.name;
  const pairer = new DnsPairer(ctx);
  // The packets before the damage are read: their queries (those still open unanswered) are kept by a partial
  // import.
  function fail(at: number, why: string): never {
    damagedAfter(new ImportError(`${PCAP_LABEL} ${name}`, `offset ${at}`, why), pairer.end());
  }
  const b = new Bytes();
  let header = false;
  let le = true;
  let nano = false;
  let linktype = 0;
  for await (const chunk of reader.chunks()) {
    b.add(chunk);
    if (!header) {
      if (b.available < 24) continue;
      const magic = b.buf.readUInt32LE(0);
      if (!PCAP_MAGIC.has(magic)) fail(0, 'not a pcap file (no pcap magic number)');
      le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
      nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      // The link type's low 16 bits (the upper ones carry FCS flags in newer files).
      linktype = u32(b.buf, 20, le) & 0xffff;
      if (!knownLinktype(linktype))
        fail(20, `link type ${linktype} is not one DNS Witness reads (Ethernet, Linux cooked, raw IP)`);
      header = true;
      b.pos = 24;
    }
    while (b.available >= 16) {
      const at = b.pos;
      const sec = u32(b.buf, at, le);
      const frac = u32(b.buf, at + 4, le);
      const incl = u32(b.buf, at + 8, le);
      if (incl > MAX_RECORD) fail(b.offset + at, `a packet record of ${incl} bytes (damaged)`);
      if (frac >= (nano ? 1e9 : 1e6))
        fail(b.offset + at, 'a packet time with an impossible fraction (damaged)');
      if (b.available < 16 + incl) break;
      const us = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
      pairer.frame(linktype, b.buf.subarray(at + 16, at + 16 + incl), us);
      b.pos = at + 16 + incl;
    }
    ctx.progress(reader.position - b.available);
    const out = pairer.take();
    if (out.length > 0) yield out;
  }
  if (!header) fail(0, 'not a pcap file (shorter than its header)');
  if (b.available > 0) fail(b.offset + b.pos, 'the file ends inside a packet record (cut short)');
  yield pairer.end();
}

interface Interface {
  readonly linktype: number;
  /** Time units per second (if_tsresol; 1e6 unless the interface says otherwise). */
  readonly perSecond: number;
}

/** if_tsresol (option 9): 10^-n, or 2^-n when the top bit is set. */
function tsresol(body: Buffer, at: number, end: number, le: boolean): number {
  let p = at;
  while (p + 4 <= end) {
    const code = le ? body.readUInt16LE(p) : body.readUInt16BE(p);
    const len = le ? body.readUInt16LE(p + 2) : body.readUInt16BE(p + 2);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = body[p + 4]!;
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    p += 4 + ((len + 3) & ~3);
  }
  return 1e6;
}

async function* readPcapng(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const name = reader.input.name;
  const pairer = new DnsPairer(ctx);
  // The packets before the damage are read: their queries (those still open unanswered) are kept by a partial
  // import.
  function fail(at: number, why: string): never {
    damagedAfter(new ImportError(`${PCAPNG_LABEL} ${name}`, `offset ${at}`, why), pairer.end());
  }
  const b = new Bytes();
  let le = true;
  let sections = 0;
  let interfaces: Interface[] = [];
  for await (const chunk of reader.chunks()) {
    b.add(chunk);
    while (b.available >= 12) {
      const at = b.pos;
      const type = b.buf.readUInt32LE(at);
      if (type === 0x0a0d0d0a) {
        // A Section Header: its byte-order magic says how to read everything up to the next one.
        const bom = b.buf.readUInt32LE(at + 8);
        if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a)
          fail(b.offset + at, 'a section header without its byte-order magic');
        le = bom === 0x1a2b3c4d;
        interfaces = [];
        sections++;
      } else if (sections === 0) fail(0, 'not a pcapng file (no section header first)');
      const len = u32(b.buf, at + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK)
        fail(b.offset + at, `a block of ${len} bytes (damaged)`);
      if (b.available < len) break;
      if (u32(b.buf, at + len - 4, le) !== len)
        fail(b.offset + at, 'a block whose two lengths differ (damaged)');
      const btype = u32(b.buf, at, le);
      const body = at + 8;
      if (btype === 1) {
        const linktype = le ? b.buf.readUInt16LE(body) : b.buf.readUInt16BE(body);
        interfaces.push({ linktype, perSecond: tsresol(b.buf, body + 8, at + len - 4, le) });
      } else if (btype === 6) {
        const iface = interfaces[u32(b.buf, body, le)];
        if (iface === undefined) fail(b.offset + at, 'a packet of an interface that was never described');
        const units = u32(b.buf, body + 4, le) * 2 ** 32 + u32(b.buf, body + 8, le);
        const caplen = u32(b.buf, body + 12, le);
        if (body + 20 + caplen > at + len - 4)
          fail(b.offset + at, 'a packet longer than its block (damaged)');
        if (knownLinktype(iface.linktype))
          pairer.frame(
            iface.linktype,
            b.buf.subarray(body + 20, body + 20 + caplen),
            (units / iface.perSecond) * 1e6,
          );
        else ctx.skip();
      } else if (btype === 3 || btype === 2) {
        // Simple Packet Blocks have no time, obsolete Packet Blocks are not written any more: not usable.
        ctx.skip();
      }
      b.pos = at + len;
    }
    ctx.progress(reader.position - b.available);
    const out = pairer.take();
    if (out.length > 0) yield out;
  }
  if (sections === 0) fail(0, 'not a pcapng file (no section header first)');
  if (b.available > 0) fail(b.offset + b.pos, 'the file ends inside a block (cut short)');
  yield pairer.end();
}

const PACKETS_CANNOT_TELL = [
  'A packet capture shows only what passed where it was taken: lookups answered elsewhere, or sent over encrypted DNS, are not in it.',
  'The MAC address kept for a device is the sender of its query packets, which is the router for devices beyond it.',
  'Queries whose response was not captured have no response code; responses without their query are left out.',
];

export const pcap: FormatSpec = {
  id: 'pcap',
  label: PCAP_LABEL,
  wire: true,
  cannotTell: PACKETS_CANNOT_TELL,
  sniff: (head) => head.length >= 4 && PCAP_MAGIC.has(head.readUInt32LE(0)),
  read: readPcap,
  chunked: true,
};

export const pcapng: FormatSpec = {
  id: 'pcapng',
  label: PCAPNG_LABEL,
  wire: true,
  cannotTell: PACKETS_CANNOT_TELL,
  sniff: (head) => head.length >= 12 && head.readUInt32LE(0) === 0x0a0d0d0a,
  read: readPcapng,
  chunked: true,
};
