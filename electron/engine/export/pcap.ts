import { isIPv4, isIPv6 } from 'node:net';

/**
 * Classic libpcap files (the format Wireshark and tshark read everywhere): microsecond timestamps,
 * LINKTYPE_RAW (101), so every packet starts with its IPv4 or IPv6 header. The IP, UDP and TCP headers are
 * made up around the DNS messages as they were received and sent, with correct lengths and checksums.
 */
export const LINKTYPE_RAW = 101;
const SNAPLEN = 262_144;

/** The 24-byte file header (little-endian, version 2.4). */
export function pcapHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(SNAPLEN, 16);
  b.writeUInt32LE(LINKTYPE_RAW, 20);
  return b;
}

/** An address as 4 or 16 bytes; null when it is not an IP address. IPv4-mapped IPv6 becomes IPv4. */
export function addressBytes(address: string): Uint8Array | null {
  let a = address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.toLowerCase().startsWith('::ffff:') && isIPv4(a.slice(7))) a = a.slice(7);
  if (isIPv4(a)) return Uint8Array.from(a.split('.').map(Number));
  if (!isIPv6(a)) return null;
  const out = new Uint8Array(16);
  let head = a;
  let tail = '';
  const gap = a.indexOf('::');
  if (gap >= 0) {
    head = a.slice(0, gap);
    tail = a.slice(gap + 2);
  }
  const groups = (s: string): number[] => {
    if (s === '') return [];
    const words: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else words.push(parseInt(part, 16));
    }
    return words;
  };
  const h = groups(head);
  const t = groups(tail);
  const words = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 255;
  });
  return out;
}

/** One side of an exchange. */
export interface Endpoint {
  readonly address: Uint8Array;
  readonly port: number;
}

/** One recorded exchange, as the journal keeps it. */
export interface PcapExchange {
  /** Epoch ms when the query arrived. */
  readonly ts: number;
  readonly latencyMs: number;
  readonly transport: 'udp' | 'tcp';
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly query: Uint8Array;
  /** The response as sent, or null when none was sent. */
  readonly response: Uint8Array | null;
}

/** Internet checksum (RFC 1071) over `parts`, each treated as if concatenated. */
function checksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd = -1;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd < 0) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = -1;
      }
    }
  }
  if (odd >= 0) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const UDP = 17;
const TCP = 6;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
/** Largest DNS payload that fits an IPv4 packet with a TCP header and the length prefix. */
const MAX_PAYLOAD = 65_535 - 20 - 20 - 2;

/**
 * The IPv4 identification counter of one pcap file. Counted per file, so the same records always give the
 * same bytes and verify can derive a bundle's pcap again.
 */
export interface IpIds {
  value: number;
}

/** An IP packet from `src` to `dst` carrying `l4` (a UDP or TCP header + payload whose checksum is filled in here). */
function ipPacket(
  src: Endpoint,
  dst: Endpoint,
  proto: number,
  l4: Buffer,
  checksumAt: number,
  ids: IpIds,
): Buffer {
  const v6 = src.address.length === 16;
  const pseudo = Buffer.alloc(v6 ? 40 : 12);
  if (v6) {
    pseudo.set(src.address, 0);
    pseudo.set(dst.address, 16);
    pseudo.writeUInt32BE(l4.length, 32);
    pseudo[39] = proto;
  } else {
    pseudo.set(src.address, 0);
    pseudo.set(dst.address, 4);
    pseudo[9] = proto;
    pseudo.writeUInt16BE(l4.length, 10);
  }
  let sum = checksum([pseudo, l4]);
  // RFC 768: a computed UDP checksum of 0 is sent as all ones.
  if (proto === UDP && sum === 0) sum = 0xffff;
  l4.writeUInt16BE(sum, checksumAt);
  if (v6) {
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(l4.length, 4);
    ip[6] = proto;
    ip[7] = 64;
    ip.set(src.address, 8);
    ip.set(dst.address, 24);
    return Buffer.concat([ip, l4]);
  }
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ids.value = (ids.value + 1) & 0xffff;
  ip.writeUInt16BE(ids.value, 4);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip[8] = 64;
  ip[9] = proto;
  ip.set(src.address, 12);
  ip.set(dst.address, 16);
  ip.writeUInt16BE(checksum([ip]), 10);
  return Buffer.concat([ip, l4]);
}

function udp(src: Endpoint, dst: Endpoint, payload: Uint8Array, ids: IpIds): Buffer {
  const l4 = Buffer.alloc(8 + payload.length);
  l4.writeUInt16BE(src.port, 0);
  l4.writeUInt16BE(dst.port, 2);
  l4.writeUInt16BE(l4.length, 4);
  l4.set(payload, 8);
  return ipPacket(src, dst, UDP, l4, 6, ids);
}

function tcp(
  src: Endpoint,
  dst: Endpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
  ids: IpIds,
): Buffer {
  const l4 = Buffer.alloc(20 + payload.length);
  l4.writeUInt16BE(src.port, 0);
  l4.writeUInt16BE(dst.port, 2);
  l4.writeUInt32BE(seq >>> 0, 4);
  l4.writeUInt32BE(ack >>> 0, 8);
  l4[12] = 5 << 4;
  l4[13] = flags;
  l4.writeUInt16BE(65_535, 14);
  l4.set(payload, 20);
  return ipPacket(src, dst, TCP, l4, 16, ids);
}

/** RFC 1035 §4.2.2: a DNS message over TCP is preceded by its length. */
function framed(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

function record(tsMs: number, packet: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const us = Math.round(tsMs * 1000);
  h.writeUInt32LE(Math.floor(us / 1e6), 0);
  h.writeUInt32LE(us % 1e6, 4);
  h.writeUInt32LE(packet.length, 8);
  h.writeUInt32LE(packet.length, 12);
  return Buffer.concat([h, packet]);
}

/**
 * The pcap records of one exchange: over UDP the query at arrival and the response `latencyMs` later; over
 * TCP a three-way handshake, then both messages length-prefixed. Empty when the addresses' families differ
 * or a message is too large for one packet.
 */
export function exchangeRecords(ex: PcapExchange, ids: IpIds = { value: 0 }): Buffer[] {
  const { client, server } = ex;
  if (client.address.length !== server.address.length) return [];
  if (ex.query.length > MAX_PAYLOAD || (ex.response?.length ?? 0) > MAX_PAYLOAD) return [];
  const answeredAt = ex.ts + (Number.isFinite(ex.latencyMs) ? Math.max(0, ex.latencyMs) : 0);
  const out: Buffer[] = [];
  if (ex.transport === 'udp') {
    out.push(record(ex.ts, udp(client, server, ex.query, ids)));
    if (ex.response) out.push(record(answeredAt, udp(server, client, ex.response, ids)));
    return out;
  }
  // Fixed initial sequence numbers: the handshake is synthetic, only its shape matters to the reader.
  const c0 = 1000;
  const s0 = 5000;
  const q = framed(ex.query);
  const empty = new Uint8Array(0);
  out.push(record(ex.ts, tcp(client, server, c0, 0, TCP_SYN, empty, ids)));
  out.push(record(ex.ts, tcp(server, client, s0, c0 + 1, TCP_SYN | TCP_ACK, empty, ids)));
  out.push(record(ex.ts, tcp(client, server, c0 + 1, s0 + 1, TCP_ACK, empty, ids)));
  out.push(record(ex.ts, tcp(client, server, c0 + 1, s0 + 1, TCP_PSH | TCP_ACK, q, ids)));
  if (ex.response)
    out.push(
      record(
        answeredAt,
        tcp(server, client, s0 + 1, c0 + 1 + q.length, TCP_PSH | TCP_ACK, framed(ex.response), ids),
      ),
    );
  return out;
}
