// Helpers for this folder's tests only: a fake upstream on 127.0.0.1 and a forwarder on the fake clock.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { WarningCode } from '@shared/events';
import type { ExchangeRecord, ExchangeSink } from '../capture/types';
import { FakeClock } from '../fake-clock';
import { AccessList, DEFAULT_ALLOWED } from './acl';
import { Forwarder, type ForwarderOptions } from './forwarder';
import { formatHostPort, NetworkUpstream, type UpstreamSpec } from './upstream';

/** What a FakeUpstream does with each query, switchable at any time. */
export type UpstreamMode =
  /** An A record with `address` for the name asked. */
  | 'answer'
  /** Nothing, ever. */
  | 'silent'
  /** Nothing until release(): keeps queries in flight. */
  | 'hold'
  /** Over UDP an empty answer with TC set (RFC 1035 §4.1.1); over TCP the whole answer. */
  | 'truncate'
  | 'SERVFAIL'
  | 'REFUSED'
  /** Sends each UDP query on to 127.0.0.1:bounceTo, as a router pointed back at the forwarder does. */
  | 'bounce';

export interface Received {
  readonly name: string;
  readonly id: number;
  readonly transport: 'udp' | 'tcp';
  /** The sender's source port. */
  readonly port: number;
}

/** The name suffix of the forwarder's loop probes (forwarder.ts). */
export const PROBE_SUFFIX = '.loop-check.dns-witness.test';

/** A DNS server on 127.0.0.1 (UDP and TCP, one port) that does what the test says and records what it gets. */
export class FakeUpstream {
  mode: UpstreamMode = 'answer';
  /** The forwarder's port, for 'bounce'; 0 drops the queries instead. */
  bounceTo = 0;
  /** A records in a whole 'truncate' answer. */
  truncatedAnswers = 40;
  /** Every query received (responses sent back at us are ignored), loop probes included. */
  readonly received: Received[] = [];
  private readonly held: (() => void)[] = [];
  private readonly waiters: { readonly until: () => boolean; readonly resolve: () => void }[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly address: string,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly port: number,
  ) {}

  /** Starts a server whose answers carry `address`, so a test can tell which upstream answered. */
  static async start(address: string): Promise<FakeUpstream> {
    // The port UDP got may be taken for TCP (another test's connection): then try another, a few times.
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const port = udp.address().port;
      const tcp = net.createServer();
      const bound = await new Promise<boolean>((resolve, reject) => {
        tcp.once('error', (err) => (attempt >= 20 ? reject(err) : resolve(false)));
        tcp.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) return FakeUpstream.serve(address, udp, tcp, port);
      udp.close();
    }
  }

  private static serve(address: string, udp: dgram.Socket, tcp: net.Server, port: number): FakeUpstream {
    const server = new FakeUpstream(address, udp, tcp, port);
    udp.on('message', (msg, rinfo) =>
      server.onQuery(msg, 'udp', rinfo.port, (out) => udp.send(out, rinfo.port, rinfo.address)),
    );
    tcp.on('connection', (s) => server.serveTcp(s));
    return server;
  }

  get spec(): UpstreamSpec {
    return { host: '127.0.0.1', port: this.port };
  }

  /** The forwarder's name for this upstream ("127.0.0.1:port"). */
  get name(): string {
    return formatHostPort('127.0.0.1', this.port);
  }

  /** Queries from clients, loop probes left out. */
  get queries(): Received[] {
    return this.received.filter((r) => !r.name.endsWith(PROBE_SUFFIX));
  }

  get probes(): Received[] {
    return this.received.filter((r) => r.name.endsWith(PROBE_SUFFIX));
  }

  /** Resolves once `until()` holds, checked after each query received. */
  waitFor(until: () => boolean): Promise<void> {
    if (until()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }

  /** Answers every held query. */
  release(): void {
    for (const send of this.held.splice(0)) send();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.udp.close();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }

  private serveTcp(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // RFC 1035 §4.2.2: each message is preceded by its two-byte length.
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.onQuery(Buffer.from(msg), 'tcp', s.remotePort ?? 0, (out) => {
          const frame = Buffer.alloc(out.length + 2);
          frame.writeUInt16BE(out.length, 0);
          out.copy(frame, 2);
          if (!s.destroyed) s.write(frame);
        });
      }
    });
  }

  private onQuery(msg: Buffer, transport: 'udp' | 'tcp', port: number, send: (out: Buffer) => void): void {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    if (q.type === 'response') return;
    this.received.push({ name: q.questions?.[0]?.name ?? '', id: q.id ?? 0, transport, port });
    this.respond(msg, q, transport, send);
    for (const w of [...this.waiters]) {
      if (!w.until()) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  private respond(
    msg: Buffer,
    q: dnsPacket.Packet,
    transport: 'udp' | 'tcp',
    send: (out: Buffer) => void,
  ): void {
    const reply = (flags: number, answers: number): Buffer =>
      dnsPacket.encode({
        id: q.id ?? 0,
        type: 'response',
        flags: flags | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: (q.questions ?? []).flatMap((qq) =>
          Array.from({ length: answers }, (_, i) => ({
            type: 'A' as const,
            name: qq.name,
            ttl: 60,
            data: answers === 1 ? this.address : `198.51.100.${i + 1}`,
          })),
        ),
      });
    switch (this.mode) {
      case 'silent':
        return;
      case 'answer':
        return send(reply(0, 1));
      case 'hold':
        this.held.push(() => send(reply(0, 1)));
        return;
      case 'truncate':
        return send(
          transport === 'udp' ? reply(dnsPacket.TRUNCATED_RESPONSE, 0) : reply(0, this.truncatedAnswers),
        );
      case 'SERVFAIL':
        return send(reply(2, 0));
      case 'REFUSED':
        return send(reply(5, 0));
      case 'bounce':
        if (transport === 'udp' && this.bounceTo !== 0) this.udp.send(msg, this.bounceTo, '127.0.0.1');
        return;
    }
  }
}

export class CollectingSink implements ExchangeSink {
  readonly records: ExchangeRecord[] = [];
  record(rec: ExchangeRecord): void {
    this.records.push(rec);
  }
}

export interface TestForwarder {
  readonly forwarder: Forwarder;
  readonly clock: FakeClock;
  readonly port: number;
  readonly sink: CollectingSink;
  readonly warnings: { readonly code: WarningCode; readonly message: string }[];
  /** Resolves at the first warning of this kind (at once when one came already). */
  warned(code: WarningCode): Promise<void>;
  close(): Promise<void>;
}

/**
 * A forwarder on 127.0.0.1 (free port) in front of `upstreams`, on a FakeClock, with a 1000 ms timeout per
 * attempt unless `opts` says otherwise.
 */
export async function startForwarder(
  upstreams: readonly FakeUpstream[],
  opts: Partial<ForwarderOptions> = {},
): Promise<TestForwarder> {
  const clock = new FakeClock();
  const sink = new CollectingSink();
  const warnings: { code: WarningCode; message: string }[] = [];
  const waiting: { code: WarningCode; resolve: () => void }[] = [];
  const deps = { clock, ...(opts.random ? { random: opts.random } : {}) };
  const forwarder = new Forwarder({
    listen: [{ host: '127.0.0.1', port: 0 }],
    upstreams: upstreams.map((u) => new NetworkUpstream(u.spec, deps)),
    acl: new AccessList(DEFAULT_ALLOWED),
    timeoutMs: 1000,
    maxInFlight: 100,
    sink,
    onWarning: (code, message) => {
      warnings.push({ code, message });
      for (const w of waiting.filter((x) => x.code === code)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    ...opts,
    ...deps,
  });
  const statuses = await forwarder.listen();
  const udp = statuses.find((s) => s.transport === 'udp');
  if (udp?.state !== 'listening') throw new Error(`forwarder did not start: ${JSON.stringify(statuses)}`);
  return {
    forwarder,
    clock,
    port: udp.port,
    sink,
    warnings,
    warned: (code) =>
      warnings.some((w) => w.code === code)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ code, resolve })),
    close: () => forwarder.close(),
  };
}

/** A decoded reply; dns-packet also sets the rcode name, which its types leave out. */
export type Reply = dnsPacket.DecodedPacket & { readonly rcode: string; readonly wire: Buffer };

/** A client socket on 127.0.0.1 (or `host`, another loopback address); close() it when done. */
export async function clientSocket(host = '127.0.0.1'): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return socket;
}

/**
 * Sends an A query for `name` with ID `id` over UDP to the forwarder and resolves with the first reply.
 * `udpSize` adds an EDNS OPT record (RFC 6891 §6.2.3) advertising that payload size.
 */
export function ask(
  socket: dgram.Socket,
  port: number,
  name: string,
  opts: { readonly id?: number; readonly udpSize?: number } = {},
): Promise<Reply> {
  const query = dnsPacket.encode({
    id: opts.id ?? 0xbeef,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
    additionals:
      opts.udpSize === undefined
        ? []
        : [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: opts.udpSize,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
  });
  return new Promise((resolve) => {
    socket.once('message', (wire) => resolve({ ...(dnsPacket.decode(wire) as Reply), wire }));
    socket.send(query, port, '127.0.0.1');
  });
}
