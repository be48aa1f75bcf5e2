/**
 * ExchangeRecord → dnstap messages (the protobuf in proto/dnstap.proto), framed for Frame Streams. Runs off the
 * query path, in batches (see output.ts), never in the forwarder's callback.
 */
import { parseHostPort } from '@shared/host-port';
import type { ExchangeRecord } from '../capture/types';
import { addressBytes } from '../export/pcap';
import { dnstap } from './proto/dnstap.js';

const MessageType = dnstap.Message.Type;

/** What every message says about its sender: the dnstap `identity` and `version` fields. */
export interface DnstapIdentity {
  readonly identity: Uint8Array;
  readonly version: Uint8Array;
}

export function dnstapIdentity(identity: string, version: string): DnstapIdentity {
  return { identity: Buffer.from(identity, 'utf8'), version: Buffer.from(version, 'utf8') };
}

/** Addresses seen recently → their bytes; bounded, since clients come and go. */
const ADDRESS_CACHE_MAX = 4096;
const addressCache = new Map<string, Uint8Array | null>();

function bytesOf(address: string): Uint8Array | null {
  let b = addressCache.get(address);
  if (b === undefined) {
    if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
    b = addressBytes(address);
    addressCache.set(address, b);
  }
  return b;
}

/** "1.1.1.1:53" or "[2620:fe::fe]:53" → address bytes and port; null for "" (no upstream answered). */
const upstreamCache = new Map<string, { address: Uint8Array; port: number } | null>();
function upstreamOf(text: string): { address: Uint8Array; port: number } | null {
  let u = upstreamCache.get(text);
  if (u === undefined) {
    if (upstreamCache.size >= 256) upstreamCache.clear();
    const hp = parseHostPort(text, 53);
    const address = hp ? bytesOf(hp.host) : null;
    u = hp && address ? { address, port: hp.port } : null;
    upstreamCache.set(text, u);
  }
  return u;
}

function family(address: Uint8Array): number {
  return address.length === 4 ? dnstap.SocketFamily.INET : dnstap.SocketFamily.INET6;
}

/** `message` with its ID (the first two bytes) set to `id`: a copy, the original stays as recorded. */
function withId(message: Uint8Array, id: number): Buffer {
  const out = Buffer.from(message);
  if (out.length >= 2) out.writeUInt16BE(id, 0);
  return out;
}

/** Epoch ms (fractional) as dnstap's seconds and nanoseconds. */
function sec(ms: number): number {
  return Math.floor(ms / 1000);
}
function nsec(ms: number): number {
  return Math.min(999_999_999, Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6));
}

/**
 * The dnstap messages of one exchange, each encoded: CLIENT_QUERY and CLIENT_RESPONSE (the client's bytes),
 * and, when an upstream answered, FORWARDER_QUERY and FORWARDER_RESPONSE (the bytes with our query ID, our
 * address and port toward the upstream, and the upstream's). `forwarder` false leaves those two out (a file
 * made from the journal, which does not keep our ID). Returns how many were pushed.
 */
export function encodeExchange(
  rec: ExchangeRecord,
  id: DnstapIdentity,
  out: Uint8Array[],
  forwarder = true,
): number {
  const client = bytesOf(rec.client);
  if (client === null) return 0;
  const protocol = rec.transport === 'tcp' ? dnstap.SocketProtocol.TCP : dnstap.SocketProtocol.UDP;
  const responseAt = rec.ts + rec.latencyMs;
  const base = {
    socketFamily: family(client),
    socketProtocol: protocol,
    queryAddress: client,
    queryPort: rec.clientPort,
    queryTimeSec: sec(rec.ts),
    queryTimeNsec: nsec(rec.ts),
  };
  const frame = (message: dnstap.Message.$Properties): void => {
    out.push(
      dnstap.Dnstap.encode({
        identity: id.identity,
        version: id.version,
        type: dnstap.Dnstap.Type.MESSAGE,
        message,
      }).finish(),
    );
  };
  frame({ type: MessageType.CLIENT_QUERY, ...base, queryMessage: rec.queryWire });
  let n = 1;
  if (rec.responseWire !== null) {
    frame({
      type: MessageType.CLIENT_RESPONSE,
      ...base,
      responseTimeSec: sec(responseAt),
      responseTimeNsec: nsec(responseAt),
      responseMessage: rec.responseWire,
    });
    n++;
  }
  const fwd = rec.forwarded;
  const upstream = fwd && forwarder ? upstreamOf(rec.upstream) : null;
  if (!fwd || !upstream) return n;
  const local = fwd.local.address === '' ? null : bytesOf(fwd.local.address);
  const side = {
    socketFamily: family(upstream.address),
    socketProtocol: protocol,
    ...(local ? { queryAddress: local } : {}),
    queryPort: fwd.local.port,
    responseAddress: upstream.address,
    responsePort: upstream.port,
    queryTimeSec: sec(fwd.sentAt),
    queryTimeNsec: nsec(fwd.sentAt),
  };
  frame({ type: MessageType.FORWARDER_QUERY, ...side, queryMessage: withId(rec.queryWire, fwd.id) });
  frame({
    type: MessageType.FORWARDER_RESPONSE,
    ...side,
    responseTimeSec: sec(responseAt),
    responseTimeNsec: nsec(responseAt),
    responseMessage: withId(fwd.response, fwd.id),
  });
  return n + 2;
}

/** Frame Streams data frames: each message behind its 32-bit big-endian length, in one buffer. */
export function dataFrames(messages: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const m of messages) size += 4 + m.length;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const m of messages) {
    buf.writeUInt32BE(m.length, pos);
    buf.set(m, pos + 4);
    pos += 4 + m.length;
  }
  return buf;
}
