/**
 * From link-layer frames to DNS exchanges, for the pcap and pcapng readers: Ethernet (with 802.1Q tags),
 * Linux cooked v1 and v2, raw IP, BSD loopback; IPv4 and IPv6; UDP and TCP (RFC 1035 §4.2.2: two-byte length
 * before each message) on port 53 and the ports given. Queries are paired with their responses by the
 * 5-tuple and the DNS ID. Fragments and everything that is not DNS are counted and left out.
 */
import {
  ipv6Text,
  isResponse,
  questionEnd,
  rcodeName,
  rcodeOf,
  readId,
  readQuestion,
  summarizeAnswers,
  typeName,
} from '../../dns/wire';
import type { ImportRecord, ReadContext } from '../types';

/** Link types (tcpdump.org/linktypes.html) this reader understands. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
const KNOWN_LINKTYPES = new Set<number>([...Object.values(LINKTYPE), 12, 14]);

export function knownLinktype(linktype: number): boolean {
  return KNOWN_LINKTYPES.has(linktype);
}

/** A query waits this long (capture time) for its response, or while fewer than this many wait. */
const OPEN_US = 30_000_000;
const MAX_OPEN = 100_000;
/** A TCP stream's unparsed bytes beyond this are dropped (a DNS message is at most 65,535 bytes). */
const MAX_STREAM_BYTES = 70_000;

interface Open {
  readonly rec: ImportRecord;
  readonly us: number;
  /** The client's address, and its port, the DNS ID and the transport as one number (`sideKey`). */
  readonly client: string;
  readonly side: number;
  /** The server asked and its port. */
  readonly server: string;
  readonly serverPort: number;
  /** The next open query of the same client side asked of another server, if any. */
  alt: Open | null;
  done: boolean;
}

/** A client's port, a DNS ID and the transport as one number: pairing looks queries up by it, no string built. */
function sideKey(port: number, id: number, transport: 'udp' | 'tcp'): number {
  return (port * 65536 + id) * 2 + (transport === 'tcp' ? 1 : 0);
}

/** Clients kept in the pairing map with no open query, beyond which those are dropped. */
const IDLE_CLIENTS = 4096;

interface Stream {
  next: number;
  buf: Buffer;
}

/** Texts remembered per cache below; a capture of more distinct addresses starts the cache over. */
const TEXT_CACHE = 65_536;

/**
 * Address texts by their bytes: a capture repeats a few addresses millions of times, and building each text
 * again (and collecting it) cost more than reading the packet.
 */
class Texts<K> {
  private readonly map = new Map<K, string>();

  get(key: K, make: () => string): string {
    let text = this.map.get(key);
    if (text === undefined) {
      text = make();
      if (this.map.size >= TEXT_CACHE) this.map.clear();
      this.map.set(key, text);
    }
    return text;
  }
}

function ipv4Text(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function macText(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + b[off + i]!.toString(16).padStart(2, '0');
  return s;
}

/** The bytes at `off` as one number (exact up to 6 bytes): a Map key that is no string. */
function bytesKey(b: Uint8Array, off: number, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) k = k * 256 + b[off + i]!;
  return k;
}

/**
 * Turns frames into records, in the order of the queries. Feed each frame with its time (µs since the
 * epoch), take the finished records with `take()`, and call `end()` after the last frame.
 */
export class DnsPairer {
  private readonly ports: ReadonlySet<number>;
  private readonly open: Open[] = [];
  private head = 0;
  /**
   * The open queries by client address, then by sideKey; queries that differ only in the server asked are
   * chained (`alt`). The same pairing as one key of all six parts, without building that key as a string.
   */
  private readonly byClient = new Map<string, Map<number, Open>>();
  private clientLimit = IDLE_CLIENTS;
  private readonly streams = new Map<string, Stream>();
  private out: ImportRecord[] = [];
  private readonly v4 = new Texts<number>();
  private readonly v6 = new Texts<string>();
  private readonly macs = new Texts<number>();
  private readonly upstreams = new Texts<string>();
  private readonly names = new Texts<string>();
  private lastDst = '';
  private lastDport = -1;
  private lastUpstream = '';

  constructor(private readonly ctx: ReadContext) {
    this.ports = new Set([53, ...ctx.ports]);
  }

  /** One captured frame of `linktype`; `caplen` bytes of it were kept. */
  frame(linktype: number, data: Uint8Array, us: number): void {
    let off = 0;
    let mac = '';
    let ethertype = -1;
    switch (linktype) {
      case LINKTYPE.ETHERNET: {
        if (data.length < 14) return this.ctx.skip();
        mac = this.macs.get(bytesKey(data, 6, 6), () => macText(data, 6));
        ethertype = (data[12]! << 8) | data[13]!;
        off = 14;
        // 802.1Q and 802.1ad tags (4 bytes each) before the real type.
        while ((ethertype === 0x8100 || ethertype === 0x88a8) && off + 4 <= data.length) {
          ethertype = (data[off + 2]! << 8) | data[off + 3]!;
          off += 4;
        }
        break;
      }
      case LINKTYPE.LINUX_SLL: {
        if (data.length < 16) return this.ctx.skip();
        // Packet type 4 is "sent by us"; the address is the sender's either way.
        if (((data[4]! << 8) | data[5]!) === 6)
          mac = this.macs.get(bytesKey(data, 6, 6), () => macText(data, 6));
        ethertype = (data[14]! << 8) | data[15]!;
        off = 16;
        break;
      }
      case LINKTYPE.LINUX_SLL2: {
        if (data.length < 20) return this.ctx.skip();
        ethertype = (data[0]! << 8) | data[1]!;
        if (data[11] === 6) mac = this.macs.get(bytesKey(data, 12, 6), () => macText(data, 12));
        off = 20;
        break;
      }
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP: {
        if (data.length < 4) return this.ctx.skip();
        // The address family in the host's byte order (NULL) or network order (LOOP): 2 is IPv4, 24/28/30 IPv6.
        const le = data[0]! | (data[1]! << 8);
        const fam = linktype === LINKTYPE.LOOP || le === 0 ? (data[2]! << 8) | data[3]! : le;
        ethertype = fam === 2 ? 0x0800 : 0x86dd;
        off = 4;
        break;
      }
      default:
        // Raw IP (101, and 12/14 on some systems), IPv4 (228), IPv6 (229): the version nibble says which.
        off = 0;
        ethertype = data.length > 0 && data[0]! >> 4 === 6 ? 0x86dd : 0x0800;
    }
    if (ethertype === 0x0800) this.ipv4(data, off, us, mac);
    else if (ethertype === 0x86dd) this.ipv6(data, off, us, mac);
    else this.ctx.skip();
  }

  private ipv4(d: Uint8Array, off: number, us: number, mac: string): void {
    if (off + 20 > d.length || d[off]! >> 4 !== 4) return this.ctx.skip();
    const ihl = (d[off]! & 15) * 4;
    const total = (d[off + 2]! << 8) | d[off + 3]!;
    const frag = ((d[off + 6]! << 8) | d[off + 7]!) & 0x3fff;
    // More fragments, or an offset: a piece of a datagram, not a whole one.
    if (frag !== 0) return this.ctx.skip();
    const end = Math.min(d.length, off + Math.max(total, ihl));
    const src = this.v4.get(bytesKey(d, off + 12, 4), () => ipv4Text(d, off + 12));
    const dst = this.v4.get(bytesKey(d, off + 16, 4), () => ipv4Text(d, off + 16));
    this.transport(d, off + ihl, end, d[off + 9]!, src, dst, us, mac);
  }

  private ipv6(d: Uint8Array, off: number, us: number, mac: string): void {
    if (off + 40 > d.length || d[off]! >> 4 !== 6) return this.ctx.skip();
    const payload = (d[off + 4]! << 8) | d[off + 5]!;
    let next = d[off + 6]!;
    let pos = off + 40;
    const end = Math.min(d.length, pos + payload);
    // Hop-by-hop, routing and destination options come before the transport; a fragment header means a piece.
    while (next === 0 || next === 43 || next === 60) {
      if (pos + 8 > end) return this.ctx.skip();
      next = d[pos]!;
      pos += (d[pos + 1]! + 1) * 8;
    }
    if (next === 44) return this.ctx.skip();
    const key = (at: number): string => Buffer.from(d.buffer, d.byteOffset + at, 16).toString('latin1');
    const src = this.v6.get(key(off + 8), () => ipv6Text(d, off + 8));
    const dst = this.v6.get(key(off + 24), () => ipv6Text(d, off + 24));
    this.transport(d, pos, end, next, src, dst, us, mac);
  }

  private transport(
    d: Uint8Array,
    off: number,
    end: number,
    proto: number,
    src: string,
    dst: string,
    us: number,
    mac: string,
  ): void {
    if (proto === 17) {
      if (off + 8 > end) return this.ctx.skip();
      const sport = (d[off]! << 8) | d[off + 1]!;
      const dport = (d[off + 2]! << 8) | d[off + 3]!;
      if (!this.ports.has(sport) && !this.ports.has(dport)) return this.ctx.skip();
      this.message(Buffer.from(d.subarray(off + 8, end)), 'udp', src, sport, dst, dport, us, mac);
      return;
    }
    if (proto !== 6 || off + 20 > end) return this.ctx.skip();
    const sport = (d[off]! << 8) | d[off + 1]!;
    const dport = (d[off + 2]! << 8) | d[off + 3]!;
    if (!this.ports.has(sport) && !this.ports.has(dport)) return this.ctx.skip();
    const seq = ((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0;
    const flags = d[off + 13]!;
    const dataAt = off + (d[off + 12]! >> 4) * 4;
    const key = `${src}|${sport}|${dst}|${dport}`;
    // SYN, FIN, RST: the stream (re)starts or ends.
    if (flags & 0x02) {
      this.streams.set(key, { next: (seq + 1) >>> 0, buf: Buffer.alloc(0) });
      return;
    }
    if (flags & 0x05) this.streams.delete(key);
    if (dataAt >= end) return;
    let payload = Buffer.from(d.subarray(dataAt, end));
    let s = this.streams.get(key);
    if (s === undefined) {
      // Joined mid-stream: assume a message starts here.
      s = { next: seq, buf: Buffer.alloc(0) };
      this.streams.set(key, s);
    }
    const behind = (s.next - seq) | 0;
    if (behind > 0) {
      // A retransmission: keep only what is new.
      if (behind >= payload.length) return;
      payload = payload.subarray(behind);
    } else if (behind < 0) {
      // A gap (a segment not captured): what was waiting cannot be completed.
      this.ctx.skip();
      s.buf = Buffer.alloc(0);
    }
    s.next = (seq + Math.max(0, behind) + payload.length) >>> 0;
    s.buf = s.buf.length === 0 ? payload : Buffer.concat([s.buf, payload]);
    while (s.buf.length >= 2) {
      const len = (s.buf[0]! << 8) | s.buf[1]!;
      if (s.buf.length < 2 + len) break;
      this.message(s.buf.subarray(2, 2 + len), 'tcp', src, sport, dst, dport, us, mac);
      s.buf = s.buf.subarray(2 + len);
    }
    if (s.buf.length > MAX_STREAM_BYTES) s.buf = Buffer.alloc(0);
  }

  private message(
    msg: Buffer,
    transport: 'udp' | 'tcp',
    src: string,
    sport: number,
    dst: string,
    dport: number,
    us: number,
    mac: string,
  ): void {
    const id = readId(msg);
    if (!isResponse(msg)) {
      const q = this.question(msg);
      if (q === null) return this.ctx.skip();
      this.closeBefore(us);
      const rec: ImportRecord = {
        ts: Math.floor(us / 1000),
        client: src,
        clientPort: sport,
        transport,
        qname: q.name,
        qtype: typeName(q.type),
        rcode: '',
        answers: '',
        latencyMs: 0,
        upstream: this.upstream(dst, dport),
        size: 0,
        error: '',
        watchRule: '',
        queryWire: msg,
        responseWire: null,
      };
      const o: Open = {
        rec,
        us,
        client: src,
        side: sideKey(sport, id, transport),
        server: dst,
        serverPort: dport,
        alt: null,
        done: false,
      };
      this.keep(o);
      this.open.push(o);
      if (mac !== '') this.ctx.device(src, mac, '');
      return;
    }
    // The response's question is not read again: pairing is by addresses, ports and ID.
    const qend = questionEnd(msg);
    if (qend < 0) return this.ctx.skip();
    const o = this.pending(dst, sideKey(dport, id, transport), src, sport);
    // A response whose query was not captured (or was answered already) is not paired with anything.
    if (o === undefined || o.rec.responseWire !== null) return this.ctx.skip();
    o.rec.responseWire = msg;
    o.rec.rcode = rcodeName(rcodeOf(msg));
    o.rec.size = msg.length;
    o.rec.latencyMs = Math.round(Math.max(0, us - o.us)) / 1000;
    o.rec.answers = summarizeAnswers(msg, qend);
    o.done = true;
    this.forget(o);
    this.closeBefore(us);
  }

  /** The open query from `client` with that side key to `server`:`serverPort`. */
  private pending(client: string, side: number, server: string, serverPort: number): Open | undefined {
    let o = this.byClient.get(client)?.get(side);
    while (o !== undefined && (o.server !== server || o.serverPort !== serverPort)) o = o.alt ?? undefined;
    return o;
  }

  /** Files an open query; a repeated one (same addresses, ports and ID) closes the earlier one unanswered. */
  private keep(o: Open): void {
    let sides = this.byClient.get(o.client);
    if (sides === undefined) {
      if (this.byClient.size >= this.clientLimit) this.dropIdleClients();
      sides = new Map();
      this.byClient.set(o.client, sides);
    }
    const first = sides.get(o.side);
    let prev: Open | null = null;
    for (let x = first ?? null; x !== null; prev = x, x = x.alt) {
      if (x.server !== o.server || x.serverPort !== o.serverPort) continue;
      x.done = true;
      o.alt = x.alt;
      x.alt = null;
      if (prev === null) sides.set(o.side, o);
      else prev.alt = o;
      return;
    }
    o.alt = first ?? null;
    sides.set(o.side, o);
  }

  /** Takes an open query out of the pairing map (if it is still there). */
  private forget(o: Open): void {
    const sides = this.byClient.get(o.client);
    const first = sides?.get(o.side);
    let prev: Open | null = null;
    for (let x = first ?? null; x !== null; prev = x, x = x.alt) {
      if (x !== o) continue;
      if (prev !== null) prev.alt = o.alt;
      else if (o.alt !== null) sides!.set(o.side, o.alt);
      else sides!.delete(o.side);
      o.alt = null;
      return;
    }
  }

  /** Forgets the clients with no open query (their maps are kept for the next, until there are many). */
  private dropIdleClients(): void {
    for (const [client, sides] of this.byClient) if (sides.size === 0) this.byClient.delete(client);
    // Many clients with queries open: not swept again before there are twice as many.
    this.clientLimit = Math.max(IDLE_CLIENTS, this.byClient.size * 2);
  }

  /** "addr:port" of the server a query went to; most captures ask one or two, so the last is kept at hand. */
  private upstream(dst: string, dport: number): string {
    if (dst === this.lastDst && dport === this.lastDport) return this.lastUpstream;
    this.lastDst = dst;
    this.lastDport = dport;
    this.lastUpstream = this.upstreams.get(`${dst}|${dport}`, () =>
      dst.includes(':') ? `[${dst}]:${dport}` : `${dst}:${dport}`,
    );
    return this.lastUpstream;
  }

  /**
   * The query's question name and type, as readQuestion gives them. A name without compression pointers (a
   * query's, nearly always) is looked up by its bytes first: a capture asks few names millions of times, and
   * decoding one builds its text a character at a time.
   */
  private question(msg: Buffer): { readonly name: string; readonly type: number } | null {
    if (msg.length < 12 || ((msg[4]! << 8) | msg[5]!) < 1) return null;
    let pos = 12;
    for (;;) {
      if (pos >= msg.length) return null;
      const len = msg[pos]!;
      if (len === 0) break;
      // A pointer or an extended label: readQuestion decides.
      if ((len & 0xc0) !== 0 || pos - 12 + len + 1 > 255) return readQuestion(msg);
      pos += len + 1;
    }
    if (pos + 5 > msg.length) return null;
    const name = this.names.get(msg.toString('latin1', 12, pos), () => readQuestion(msg)!.name);
    return { name, type: (msg[pos + 1]! << 8) | msg[pos + 2]! };
  }

  /** Hands on the queries asked long enough ago (answered or not), oldest first. */
  private closeBefore(us: number): void {
    const open = this.open;
    while (this.head < open.length) {
      const o = open[this.head]!;
      if (!o.done && o.us >= us - OPEN_US && open.length - this.head <= MAX_OPEN) break;
      this.head++;
      // One done was answered (and forgotten then) or asked again (and replaced).
      if (!o.done) this.forget(o);
      this.out.push(o.rec);
    }
    // Soon, not after thousands: the handed-on records would live on here, and young garbage that lives
    // is copied at every scavenge (a third of the parse thread's time with 4096).
    if (this.head > 256 && this.head * 2 > open.length) {
      open.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The records finished since the last call. */
  take(): ImportRecord[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Every query still open is finished (unanswered ones without a response). */
  end(): ImportRecord[] {
    this.closeBefore(Number.POSITIVE_INFINITY);
    return this.take();
  }
}
