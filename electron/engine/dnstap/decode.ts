/**
 * dnstap messages (the protobuf in proto/dnstap.proto) → ExchangeRecords, the records the capture keeps for
 * the queries DNS Witness forwards. A resolver reports each exchange as a query message and a response
 * message; `ExchangeAssembler` pairs them by addresses, ports, protocol and DNS ID, and a response whose query
 * was not seen (or not logged) still counts the lookup. Time is an input, so tests need no clock.
 */
import type { Transport } from '@shared/events';
import type { ExchangeRecord } from '../capture/types';
import { normalizeAddress } from '../dns/acl';
import {
  HEADER_SIZE,
  ipv6Text,
  questionEnd,
  rcodeName,
  rcodeOf,
  readQuestion,
  summarizeAnswers,
  typeName,
} from '../dns/wire';
import { dnstap } from './proto/dnstap.js';

/** Why an exchange has no response: the resolver never reported one within the wait. */
export const UNANSWERED = 'unanswered';

/** The dnstap identity and version as one short line ("unbound-1 (unbound 1.17.1)"); "" when both are empty. */
export function peerName(identity: Uint8Array, version: Uint8Array): string {
  const clean = (b: Uint8Array) =>
    Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 64))
      .toString('utf8')
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim();
  const id = clean(identity);
  const ver = clean(version);
  if (id === '') return ver;
  return ver === '' ? id : `${id} (${ver})`;
}

/**
 * The `source` of the records from one sender: "dnstap: IDENTITY (VERSION) via INPUT", made again only when
 * the identity or version a message carries changes.
 */
export class SourceName {
  private identity: Uint8Array | null = null;
  private version: Uint8Array | null = null;
  private text = '';
  /** The name without the input ("unbound-1 (unbound 1.17.1)"). */
  peer = '';

  constructor(private readonly via: string) {}

  of(identity: Uint8Array, version: Uint8Array): string {
    if (this.identity && sameBytes(this.identity, identity) && sameBytes(this.version!, version))
      return this.text;
    this.identity = Uint8Array.from(identity);
    this.version = Uint8Array.from(version);
    this.peer = peerName(identity, version) || 'a resolver';
    this.text = `dnstap: ${this.peer} via ${this.via}`;
    return this.text;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes one Frame Streams data frame as a dnstap message. Null when the bytes are not a dnstap protobuf
 * (garbage); undefined for a well-formed frame that carries no DNS message (another Dnstap type). Never throws.
 */
export function decodeDnstap(frame: Uint8Array): dnstap.Dnstap | null | undefined {
  let d: dnstap.Dnstap;
  try {
    d = dnstap.Dnstap.decode(frame);
  } catch {
    return null;
  }
  // `type` and `message` are required for a MESSAGE; a frame without a type is not dnstap.
  if (!Object.prototype.hasOwnProperty.call(d, 'type')) return null;
  if (d.type !== dnstap.Dnstap.Type.MESSAGE || !d.message) return undefined;
  return d;
}

function addressText(b: Uint8Array | null | undefined): string {
  if (!b) return '';
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16) return normalizeAddress(ipv6Text(b, 0));
  return '';
}

function transportOf(p: dnstap.SocketProtocol | null | undefined): Transport {
  // DNS over TLS and over HTTPS ride on TCP; UDP, DNSCrypt over UDP and QUIC are datagrams.
  return p === dnstap.SocketProtocol.TCP ||
    p === dnstap.SocketProtocol.DOT ||
    p === dnstap.SocketProtocol.DOH ||
    p === dnstap.SocketProtocol.DNSCryptTCP
    ? 'tcp'
    : 'udp';
}

/** Epoch ms from dnstap's seconds and nanoseconds; 0 when the field is absent. */
function msOf(sec: number | null | undefined, nsec: number | null | undefined): number {
  if (!sec) return 0;
  return sec * 1000 + Math.floor((nsec ?? 0) / 1000) / 1000;
}

function bytes(b: Uint8Array | null | undefined): Uint8Array | null {
  return b && b.length >= HEADER_SIZE ? b : null;
}

/** A query rebuilt from a response's header and question, for a response whose query was not reported. */
function queryFromResponse(response: Uint8Array, qEnd: number): Uint8Array {
  const q = Buffer.alloc(qEnd);
  q.set(response.subarray(0, qEnd));
  // QR off, AA/TC/RA/Z/AD/RCODE off; opcode, RD and CD as the client sent them.
  q[2] = q[2]! & 0x79;
  q[3] = q[3]! & 0x10;
  q.writeUInt16BE(1, 4);
  q.fill(0, 6, 12);
  return q;
}

interface Pending {
  readonly at: number;
  readonly msg: dnstap.IMessage;
  readonly source: string;
}

export interface AssemblerOptions {
  /** The watchlist rule a name matches ("" for none), as the forwarder marks its own queries. */
  readonly classify?: (qname: string) => string;
  /** How long a query waits for its response before it is recorded as unanswered. */
  readonly waitMs?: number;
  /** Queries waiting at most; beyond it the oldest is recorded as unanswered. */
  readonly maxPending?: number;
}

/**
 * Pairs query and response messages into exchanges. `add` hands finished exchanges to `out`; `expire` records
 * the queries that waited longer than `waitMs` as unanswered; `flush` records every waiting query.
 */
export class ExchangeAssembler {
  private readonly pending = new Map<string, Pending>();
  private readonly classify: (qname: string) => string;
  private readonly waitMs: number;
  private readonly maxPending: number;

  constructor(
    private readonly out: (rec: ExchangeRecord) => void,
    opts: AssemblerOptions = {},
  ) {
    this.classify = opts.classify ?? (() => '');
    this.waitMs = opts.waitMs ?? 5_000;
    this.maxPending = opts.maxPending ?? 20_000;
  }

  get waiting(): number {
    return this.pending.size;
  }

  /**
   * One dnstap message from `source` (the resolver and the input, as the record will name it), received at
   * `now`. Messages that are not a query or a response with a DNS message are ignored. Never throws.
   */
  add(d: dnstap.Dnstap, source: string, now: number): void {
    const m = d.message;
    if (!m || typeof m.type !== 'number') return;
    // dnstap.proto numbers each kind's query odd and its response even (AUTH, RESOLVER, CLIENT, FORWARDER…).
    const isQuery = m.type % 2 === 1;
    const wire = bytes(isQuery ? m.queryMessage : m.responseMessage);
    if (wire === null) return;
    const key = this.keyOf(m, wire);
    if (isQuery) {
      const prev = this.pending.get(key);
      // The same client asking again with the same ID: the first went unanswered (or unlogged).
      if (prev) {
        this.pending.delete(key);
        this.emit(prev.msg, null, prev.source, now);
      }
      if (this.pending.size >= this.maxPending) this.expireOldest(now);
      this.pending.set(key, { at: now, msg: m, source });
      return;
    }
    const query = this.pending.get(key);
    if (query) this.pending.delete(key);
    this.emit(query?.msg ?? null, m, source, now);
  }

  /** Records the queries that waited `waitMs` or longer as unanswered. */
  expire(now: number): void {
    for (const [key, p] of this.pending) {
      if (now - p.at < this.waitMs) break;
      this.pending.delete(key);
      this.emit(p.msg, null, p.source, now);
    }
  }

  /** Records every waiting query as unanswered (the input is closing, or the file ended). */
  flush(now: number): void {
    for (const p of this.pending.values()) this.emit(p.msg, null, p.source, now);
    this.pending.clear();
  }

  private expireOldest(now: number): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    this.pending.delete(first.value[0]);
    this.emit(first.value[1].msg, null, first.value[1].source, now);
  }

  /**
   * Kind, protocol, the asking end and the DNS ID: what a query and its response share. The answering end is
   * left out: resolvers fill it in for one message of the pair and not the other.
   */
  private keyOf(m: dnstap.IMessage, wire: Uint8Array): string {
    const kind = ((m.type ?? 0) + 1) >> 1;
    return `${kind}|${m.socketProtocol ?? 0}|${addressText(m.queryAddress)}|${m.queryPort ?? 0}|${(wire[0]! << 8) | wire[1]!}`;
  }

  private emit(q: dnstap.IMessage | null, r: dnstap.IMessage | null, source: string, now: number): void {
    const m = (q ?? r)!;
    const response = r ? bytes(r.responseMessage) : null;
    const rEnd = response ? questionEnd(response) : -1;
    let query = q ? bytes(q.queryMessage) : null;
    if (query === null) {
      if (response === null || rEnd < 0) return;
      query = queryFromResponse(response, rEnd);
    }
    const question = readQuestion(query) ?? (response ? readQuestion(response) : null);
    if (!question) return;
    const client = addressText(m.queryAddress);
    if (client === '') return;
    const queryAt = msOf(m.queryTimeSec, m.queryTimeNsec) || msOf(r?.queryTimeSec, r?.queryTimeNsec);
    const responseAt = r ? msOf(r.responseTimeSec, r.responseTimeNsec) : 0;
    const ts = queryAt || responseAt || now;
    const latency = queryAt > 0 && responseAt >= queryAt ? responseAt - queryAt : 0;
    this.out({
      ts,
      client,
      clientPort: m.queryPort ?? 0,
      transport: transportOf(m.socketProtocol),
      qname: question.name,
      qtype: typeName(question.type),
      rcode: response ? rcodeName(rcodeOf(response)) : '',
      answers: response && rEnd > 0 ? summarizeAnswers(response, rEnd) : '',
      latencyMs: Math.round(latency * 1000) / 1000,
      upstream: '',
      size: response ? response.length : 0,
      error: response ? '' : UNANSWERED,
      watchRule: this.classify(question.name),
      queryWire: query,
      responseWire: response,
      source,
    });
  }
}
