import dgram from 'node:dgram';
import net, { isIP } from 'node:net';
import type { EngineCounters, ListenerStatus, Transport, UpstreamStatus, WarningCode } from '@shared/events';
import type { BlockMode } from '@shared/watch/rules';
import type { ExchangeSink } from '../capture/types';
import { cryptoRandom, realClock, type Clock, type RandomSource } from '../clock';
import { FairConnections, type ConnectionSlot } from '../fair-connections';
import { normalizeAddress, type AccessList } from './acl';
import { describeBindError, findPortHolder } from './bind-errors';
import { enlargeReceiveBuffer } from './receive-buffer';
import type { ExchangeResult, Upstream, UpstreamAnswer } from './upstream';
import {
  clientUdpSize,
  HEADER_SIZE,
  isResponse,
  isTruncated,
  makeErrorResponse,
  makeNullAnswer,
  makeTruncated,
  opcode,
  qdcount,
  questionEnd,
  RCODE,
  rcodeName,
  rcodeOf,
  readQuestion,
  summarizeAnswers,
  typeName,
  type Question,
} from './wire';

export interface ListenSpec {
  readonly host: string;
  /** 0 picks a free port (the TCP listener then uses the port UDP got). */
  readonly port: number;
}

/** The watchlist's verdict on a name: the matching rule ("" for none) and whether to answer it ourselves. */
export interface Verdict {
  readonly rule: string;
  readonly block: BlockMode;
}

const NO_VERDICT: Verdict = { rule: '', block: 'off' };

export interface ForwarderOptions {
  readonly listen: readonly ListenSpec[];
  /** Tried in this order; an upstream that keeps failing is tried last until it recovers. */
  readonly upstreams: readonly Upstream[];
  readonly acl: AccessList;
  /** Per upstream attempt. */
  readonly timeoutMs: number;
  /** Queries being forwarded at once; above it clients get SERVFAIL at once. */
  readonly maxInFlight: number;
  readonly sink: ExchangeSink;
  /** Watchlist classification of each query name; on the hot path, so it must be cheap. Never throws. */
  readonly classify?: (qname: string) => Verdict;
  readonly onWarning: (code: WarningCode, message: string) => void;
  /** Time and timers (default the real clock): health, loop probes, latency. */
  readonly clock?: Clock;
  /** Probe names and IDs (default node:crypto). */
  readonly random?: RandomSource;
  /** TCP connections one client address may hold at once (default TCP_PER_CLIENT). */
  readonly tcpPerClient?: number;
}

interface UpstreamHealth {
  queries: number;
  failures: number;
  consecutive: number;
  downUntil: number;
  lastError: string;
}

interface Listener {
  status: ListenerStatus;
  /** The errno code of a failed bind ("EACCES", "EADDRINUSE"), "" otherwise. */
  code: string;
  close(): Promise<void>;
}

/** A listener that could not be bound, with the errno code the diagnosis needs. */
export interface ListenerFailure {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
  readonly code: string;
}

/** How often every upstream is probed for a forwarding loop, and how long a detected loop is trusted. */
const LOOP_PROBE_INTERVAL_MS = 60_000;
const LOOP_TRUST_MS = LOOP_PROBE_INTERVAL_MS + 10_000;
/** A probe name stays recognisable this long after it was sent. */
const PROBE_TTL_MS = 10_000;
/** Extra probes triggered by a suspicious query, at most this often per upstream. */
const SUSPICION_PROBE_GAP_MS = 5_000;
/** RFC 6761 §6.2: names under test. are never delegated, so a probe reaches no real server's zone. */
const PROBE_SUFFIX = 'loop-check.dns-witness.test';

const DOWN_AFTER_FAILURES = 3;
const DOWN_FOR_MS = 15_000;
/** RFC 7766 §6.2.3: idle TCP connections are closed after some seconds. */
const TCP_IDLE_MS = 10_000;
/**
 * A query must arrive whole within this time of its first byte: the idle timer restarts with every byte,
 * so without it a client sending one byte every few seconds holds a connection for ever.
 */
export const TCP_MESSAGE_MS = 3_000;
/** Across every TCP listener; when full, the address holding the most gives one up (fair-connections.ts). */
const MAX_TCP_CONNECTIONS = 256;
/** Default TCP connections per client address: a resolver or a browser needs a few, never dozens. */
export const TCP_PER_CLIENT = 8;
const MAX_TCP_PIPELINE = 64;

type Reply = (response: Buffer) => void;

/**
 * The DNS forwarder: UDP and TCP listeners, access control, loop detection, failover, in-flight cap.
 * It keeps answering whatever happens to a single query, client or listener; all failures become counters
 * and warnings. Every finished exchange goes to the sink.
 */
export class Forwarder {
  private readonly opts: ForwarderOptions;
  private readonly health = new Map<Upstream, UpstreamHealth>();
  private readonly upstreamHosts: ReadonlySet<string>;
  /** Name → number of exchanges being forwarded, to notice our own queries coming back. */
  private readonly forwarding = new Map<string, number>();
  /** Loop-probe names in flight → the upstream they were sent to. */
  private readonly probes = new Map<string, { upstream: Upstream; expires: number }>();
  /** Upstreams that sent a probe back to us, until when we trust that. */
  private readonly looping = new Map<Upstream, number>();
  private readonly lastProbe = new Map<Upstream, number>();
  private probeTimer: unknown = null;
  private readonly listeners: Listener[] = [];
  private readonly counts = {
    queries: 0,
    answered: 0,
    servfail: 0,
    refused: 0,
    malformed: 0,
    unexpectedResponses: 0,
    overload: 0,
    loops: 0,
    inFlight: 0,
  };

  private readonly clock: Clock;
  private readonly random: RandomSource;
  /** TCP connections of every listener, shared fairly between client addresses. */
  private readonly tcpSlots: FairConnections;

  constructor(opts: ForwarderOptions) {
    this.opts = opts;
    this.tcpSlots = new FairConnections(MAX_TCP_CONNECTIONS, opts.tcpPerClient ?? TCP_PER_CLIENT);
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? cryptoRandom;
    for (const u of opts.upstreams)
      this.health.set(u, { queries: 0, failures: 0, consecutive: 0, downUntil: 0, lastError: '' });
    this.upstreamHosts = new Set(opts.upstreams.map((u) => normalizeAddress(u.host)));
  }

  /** Binds every listen address (UDP and TCP). Failures are returned (and warned), never thrown. */
  async listen(): Promise<ListenerStatus[]> {
    const statuses: ListenerStatus[] = [];
    for (const spec of this.opts.listen) {
      const udp = await this.bindUdp(spec);
      const tcpPort = spec.port === 0 && udp.status.state === 'listening' ? udp.status.port : spec.port;
      const tcp = await this.bindTcp({ host: spec.host, port: tcpPort });
      for (const l of [udp, tcp]) {
        this.listeners.push(l);
        statuses.push(l.status);
        if (l.status.state === 'error') this.opts.onWarning('port-unavailable', l.status.error);
      }
    }
    if (!this.probeTimer && statuses.some((st) => st.state === 'listening')) {
      this.probeAll();
      this.probeTimer = this.clock.setInterval(() => this.probeAll(), LOOP_PROBE_INTERVAL_MS);
    }
    return statuses;
  }

  /**
   * Forwarding-loop detection, as dnsmasq's --dns-loop-detect does: send each upstream a query for a unique
   * name; if that name ever arrives at our listener, the upstream forwards to us (typically the router,
   * once it is pointed at this computer) and must not be used.
   */
  private probeAll(): void {
    for (const u of this.opts.upstreams) this.probe(u);
  }

  private probe(up: Upstream): void {
    const now = this.clock.now();
    for (const [name, p] of this.probes) if (p.expires <= now) this.probes.delete(name);
    this.lastProbe.set(up, now);
    const name = `${this.random.hex(8)}.${PROBE_SUFFIX}`;
    this.probes.set(name, { upstream: up, expires: now + PROBE_TTL_MS });
    const query = encodeProbe(name, this.random.uint16());
    const q = readQuestion(query);
    if (q) void up.exchangeUdp(query, q, this.opts.timeoutMs);
  }

  private isLooping(up: Upstream, now = this.clock.now()): boolean {
    return (this.looping.get(up) ?? 0) > now;
  }

  listenerStatus(): ListenerStatus[] {
    return this.listeners.map((l) => l.status);
  }

  counters(): EngineCounters {
    return { ...this.counts };
  }

  upstreamStatus(): UpstreamStatus[] {
    const now = this.clock.now();
    return this.opts.upstreams.map((u) => {
      const h = this.health.get(u)!;
      return {
        address: u.address,
        healthy: h.downUntil <= now,
        queries: h.queries,
        failures: h.failures,
        lastError: h.lastError,
      };
    });
  }

  /** The listeners that could not be bound, with their errno codes. */
  listenerFailures(): ListenerFailure[] {
    return this.listeners
      .filter((l) => l.status.state === 'error')
      .map((l) => ({
        host: l.status.address,
        port: l.status.port,
        transport: l.status.transport,
        code: l.code,
      }));
  }

  /**
   * Closes the listeners, then waits up to `drainMs` for the queries being forwarded (they are still recorded;
   * their answers can no longer be sent), then closes the upstreams.
   */
  async close(drainMs = 0): Promise<void> {
    if (this.probeTimer !== null) this.clock.clearInterval(this.probeTimer);
    this.probeTimer = null;
    await Promise.all(this.listeners.map((l) => l.close()));
    const end = this.clock.now() + drainMs;
    while (this.counts.inFlight > 0 && this.clock.now() < end)
      await new Promise<void>((r) => this.clock.setTimeout(r, 10));
    for (const u of this.opts.upstreams) u.close();
  }

  private failedListener(spec: ListenSpec, transport: Transport, error: string, code = ''): Listener {
    return {
      status: { address: spec.host, port: spec.port, transport, state: 'error', error },
      code,
      close: () => Promise.resolve(),
    };
  }

  private async bindError(
    err: NodeJS.ErrnoException,
    spec: ListenSpec,
    transport: Transport,
  ): Promise<Listener> {
    const holder = err.code === 'EADDRINUSE' ? await findPortHolder(spec.port, transport) : '';
    return this.failedListener(
      spec,
      transport,
      describeBindError(err, spec.host, spec.port, transport, holder),
      err.code ?? '',
    );
  }

  private bindUdp(spec: ListenSpec): Promise<Listener> {
    const family = isIP(spec.host);
    if (family === 0)
      return Promise.resolve(this.failedListener(spec, 'udp', `not an IP address: ${spec.host}`));
    const socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      // Replies go to the literal address the query came from: resolve it in place instead of through
      // dns.lookup, which costs a validation pass and a nextTick per reply.
      lookup: literalLookup,
    });
    return new Promise<Listener>((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close();
        void this.bindError(err, spec, 'udp').then(resolve);
      });
      socket.bind({ address: spec.host, port: spec.port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        const status: { -readonly [K in keyof ListenerStatus]: ListenerStatus[K] } = {
          address: spec.host,
          port: socket.address().port,
          transport: 'udp',
          state: 'listening',
          error: '',
          receiveBuffer: enlargeReceiveBuffer(socket),
        };
        socket.on('error', (err: NodeJS.ErrnoException) => {
          // A send error for one client (e.g. EHOSTUNREACH) must not stop the listener.
          this.opts.onWarning(
            'port-unavailable',
            `DNS listener ${spec.host} UDP: ${err.code ?? err.message}`,
          );
        });
        socket.on('message', (msg, rinfo) => {
          const client = normalizeAddress(rinfo.address);
          this.handle(msg, client, rinfo.port, 'udp', (response) => {
            // An answer that arrives after close() (a forwarder restart) has no socket left to go out on.
            if (status.state === 'listening') socket.send(response, rinfo.port, rinfo.address);
          });
        });
        resolve({
          status,
          code: '',
          close: () =>
            new Promise<void>((done) => {
              status.state = 'closed';
              socket.close(() => done());
            }),
        });
      });
    });
  }

  private bindTcp(spec: ListenSpec): Promise<Listener> {
    const family = isIP(spec.host);
    if (family === 0)
      return Promise.resolve(this.failedListener(spec, 'tcp', `not an IP address: ${spec.host}`));
    // No server.maxConnections: a hard cap refuses newcomers once slow clients hold every slot; tcpSlots
    // makes room instead (serveTcp).
    const server = net.createServer({ noDelay: true }, (socket) => this.serveTcp(socket));
    return new Promise<Listener>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        server.close();
        void this.bindError(err, spec, 'tcp').then(resolve);
      });
      server.listen({ host: spec.host, port: spec.port, ipv6Only: family === 6, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err: NodeJS.ErrnoException) =>
          this.opts.onWarning(
            'port-unavailable',
            `DNS listener ${spec.host} TCP: ${err.code ?? err.message}`,
          ),
        );
        const addr = server.address() as net.AddressInfo;
        const status: { -readonly [K in keyof ListenerStatus]: ListenerStatus[K] } = {
          address: spec.host,
          port: addr.port,
          transport: 'tcp',
          state: 'listening',
          error: '',
        };
        const sockets = new Set<net.Socket>();
        server.on('connection', (s) => {
          sockets.add(s);
          s.once('close', () => sockets.delete(s));
        });
        resolve({
          status,
          code: '',
          close: () =>
            new Promise<void>((done) => {
              status.state = 'closed';
              for (const s of sockets) s.destroy();
              server.close(() => done());
            }),
        });
      });
    });
  }

  /**
   * RFC 7766 §6.2.1: several queries per connection, answered as they complete (possibly out of order).
   * Each connection takes a fair slot (busy while a query is being answered, so idle ones are closed first
   * when the table is full) and must deliver each query whole within TCP_MESSAGE_MS of its first byte.
   */
  private serveTcp(socket: net.Socket): void {
    const client = normalizeAddress(socket.remoteAddress ?? '');
    const clientPort = socket.remotePort ?? 0;
    socket.on('error', () => socket.destroy());
    const slot: ConnectionSlot = { address: client, busy: false, evict: () => socket.destroy() };
    if (!this.tcpSlots.admit(slot)) {
      this.counts.overload++;
      socket.destroy();
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    let pending = 0;
    // Armed only while part of a message has arrived; the usual query comes in one segment and sets none.
    let deadline: unknown = null;
    const disarm = (): void => {
      if (deadline !== null) this.clock.clearTimeout(deadline);
      deadline = null;
    };
    socket.once('close', () => {
      disarm();
      this.tcpSlots.release(slot);
    });
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const reply: Reply = (response) => {
      slot.busy = --pending > 0;
      if (socket.destroyed || !socket.writable) return;
      const frame = Buffer.alloc(response.length + 2);
      frame.writeUInt16BE(response.length, 0);
      frame.set(response, 2);
      socket.write(frame);
    };
    const dropped = (): void => {
      slot.busy = --pending > 0;
    };
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len < HEADER_SIZE) {
          this.counts.malformed++;
          socket.destroy();
          return;
        }
        if (buf.length < len + 2) break;
        const msg = Buffer.from(buf.subarray(2, len + 2));
        buf = buf.subarray(len + 2);
        disarm();
        if (pending >= MAX_TCP_PIPELINE) {
          // Bounded per connection: a client that pipelines without reading cannot hold unbounded work.
          this.counts.overload++;
          socket.destroy();
          return;
        }
        pending++;
        slot.busy = true;
        this.handle(msg, client, clientPort, 'tcp', reply, dropped);
      }
      if (buf.length > 0 && deadline === null && !socket.destroyed)
        deadline = this.clock.setTimeout(() => {
          deadline = null;
          socket.destroy();
        }, TCP_MESSAGE_MS);
    });
  }

  /**
   * Answers one message from a client. `reply` is called at most once; `dropped` is called instead when the
   * message gets no answer at all (malformed, a response, ...). Never throws.
   */
  private handle(
    msg: Buffer,
    client: string,
    clientPort: number,
    transport: Transport,
    reply: Reply,
    dropped: () => void = noop,
  ): void {
    const arrived = this.clock.now();
    const t0 = this.clock.mono();
    if (msg.length < HEADER_SIZE) {
      this.counts.malformed++;
      return dropped();
    }
    if (isResponse(msg)) {
      // A response on the listening socket: not ours to answer (and answering could start a ping-pong).
      this.counts.unexpectedResponses++;
      return dropped();
    }
    const question = qdcount(msg) === 1 ? readQuestion(msg) : null;
    if (!question) {
      this.counts.malformed++;
      return dropped();
    }
    if (!this.opts.acl.allows(client)) {
      // RFC 5358 §4: not an open resolver. REFUSED is small, so it cannot amplify.
      this.counts.refused++;
      this.opts.onWarning(
        'refused-client',
        `Refused queries from ${client}: outside the allowed networks (add it with --allow ${client}/32 if it is yours).`,
      );
      reply(makeErrorResponse(msg, question.end, RCODE.REFUSED));
      return;
    }
    this.counts.queries++;
    const probe = this.probes.get(question.name);
    if (probe) {
      // Our own probe came back: that upstream forwards to us. Answer, never forward, never record
      // (it is our query, not the client's).
      this.probes.delete(question.name);
      this.looping.set(probe.upstream, this.clock.now() + LOOP_TRUST_MS);
      this.reportLoop(probe.upstream);
      reply(makeErrorResponse(msg, question.end, RCODE.SERVFAIL));
      return;
    }
    // Keyed by name only: building a "type/name" string for every query costs more than the rare extra probe.
    const key = question.name;
    if (this.upstreamHosts.has(client) && this.forwarding.has(key)) {
      // An upstream asks us what we are asking it: either a loop or a coincidence. A known loop gets
      // SERVFAIL without forwarding (the bounce is our own query, so it is not recorded); otherwise probe now.
      const suspects = this.opts.upstreams.filter((u) => normalizeAddress(u.host) === client);
      if (suspects.some((u) => this.isLooping(u))) {
        this.counts.loops++;
        reply(makeErrorResponse(msg, question.end, RCODE.SERVFAIL));
        return;
      }
      const now = this.clock.now();
      for (const u of suspects)
        if (now - (this.lastProbe.get(u) ?? 0) >= SUSPICION_PROBE_GAP_MS) this.probe(u);
    }
    const verdict = this.opts.classify ? this.opts.classify(question.name) : NO_VERDICT;
    const q: QueryContext = {
      msg,
      question,
      client,
      clientPort,
      transport,
      reply,
      arrived,
      t0,
      rule: verdict.rule,
    };
    if (opcode(msg) !== 0)
      return this.deliver(q, makeErrorResponse(msg, question.end, RCODE.NOTIMP), '', 'opcode');
    if (verdict.block !== 'off') {
      // Blocked by the user's choice: answered here, still recorded (marked), so the chart shows the effect.
      const response =
        verdict.block === 'nxdomain'
          ? makeErrorResponse(msg, question.end, RCODE.NXDOMAIN)
          : makeNullAnswer(msg, question);
      return this.deliver(q, response, '', 'blocked');
    }
    if (this.counts.inFlight >= this.opts.maxInFlight) {
      this.counts.overload++;
      this.opts.onWarning(
        'overload',
        `More than ${this.opts.maxInFlight} queries waiting for upstream answers: answering SERVFAIL to the excess.`,
      );
      return this.deliver(q, makeErrorResponse(msg, question.end, RCODE.SERVFAIL), '', 'overload');
    }
    this.counts.inFlight++;
    this.forwarding.set(key, (this.forwarding.get(key) ?? 0) + 1);
    const maxUdp = transport === 'udp' ? clientUdpSize(msg, question.end) : 65535;
    this.forward(msg, question, transport, maxUdp, (result, upstream, error) => {
      this.counts.inFlight--;
      const n = (this.forwarding.get(key) ?? 1) - 1;
      if (n <= 0) this.forwarding.delete(key);
      else this.forwarding.set(key, n);
      let answer = result ? result.response : makeErrorResponse(msg, question.end, RCODE.SERVFAIL);
      if (transport === 'udp' && answer.length > maxUdp) answer = makeTruncated(answer);
      this.deliver(q, answer, upstream, error, result);
    });
  }

  /**
   * Asks the upstreams in order until one answers (failover), then calls `done` once: the response (null when
   * none came), the upstream that gave it and the error. Callbacks, not promises: this runs for every query.
   */
  private forward(
    msg: Buffer,
    question: Question,
    transport: Transport,
    maxUdp: number,
    done: (result: UpstreamAnswer | null, upstream: string, error: string) => void,
  ): void {
    const order = this.orderedUpstreams();
    let fallback: { result: UpstreamAnswer; upstream: string } | null = null;
    let lastError = order.length === 0 ? 'loop' : 'no upstream';
    let i = 0;
    const next = (): void => {
      const up = order[i++];
      if (up === undefined) {
        if (fallback) done(fallback.result, fallback.upstream, '');
        else done(null, '', lastError);
        return;
      }
      this.health.get(up)!.queries++;
      if (transport === 'tcp')
        void up.exchangeTcp(msg, question, this.opts.timeoutMs).then((r) => settle(up, r));
      else up.exchangeUdpCallback(msg, question, this.opts.timeoutMs, (r) => udpAnswered(up, r));
    };
    const udpAnswered = (up: Upstream, result: ExchangeResult): void => {
      if (result.ok && isTruncated(result.response)) {
        // The upstream truncated: fetch the whole answer over TCP (RFC 7766 §5). If the client cannot take it
        // over UDP either, the truncated answer is what it gets, and it retries over TCP itself.
        void up
          .exchangeTcp(msg, question, this.opts.timeoutMs)
          .then((full) => settle(up, full.ok && full.response.length <= maxUdp ? full : result));
        return;
      }
      settle(up, result);
    };
    const settle = (up: Upstream, result: ExchangeResult): void => {
      const h = this.health.get(up)!;
      if (!result.ok) {
        lastError = result.error;
        this.markFailure(up, h, result.error);
        return next();
      }
      const rcode = rcodeOf(result.response);
      if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) {
        // Another upstream may do better; keep this answer in case none does.
        fallback ??= { result, upstream: up.address };
        lastError = rcodeName(rcode).toLowerCase();
        this.markFailure(up, h, `answered ${rcodeName(rcode)}`);
        return next();
      }
      h.consecutive = 0;
      h.downUntil = 0;
      done(result, up.address, '');
    };
    next();
  }

  /** Healthy upstreams in configured order, then failing ones; looping ones never. */
  private orderedUpstreams(): readonly Upstream[] {
    const now = this.clock.now();
    const all = this.opts.upstreams;
    // The common case, every upstream healthy and none looping, needs no new array.
    let healthy = true;
    for (const u of all) if (this.health.get(u)!.downUntil > now || this.looping.has(u)) healthy = false;
    if (healthy) return all;
    const up: Upstream[] = [];
    const down: Upstream[] = [];
    for (const u of this.opts.upstreams) {
      if (this.isLooping(u, now)) continue;
      (this.health.get(u)!.downUntil > now ? down : up).push(u);
    }
    return down.length === 0 ? up : [...up, ...down];
  }

  private reportLoop(up: Upstream): void {
    this.counts.loops++;
    const others = this.opts.upstreams.filter((u) => u !== up && !this.isLooping(u));
    this.opts.onWarning(
      'loop-detected',
      `Forwarding loop: upstream ${up.address} sends our queries back to this computer (is it the router you pointed here?). ` +
        (others.length > 0
          ? `Not using it; answering through ${others.map((u) => u.address).join(', ')}.`
          : 'No other upstream is left, so clients get SERVFAIL: set a public resolver with --upstream (e.g. 9.9.9.9).'),
    );
  }

  private markFailure(up: Upstream, h: UpstreamHealth, error: string): void {
    h.failures++;
    h.lastError = error;
    if (++h.consecutive >= DOWN_AFTER_FAILURES) {
      const now = this.clock.now();
      const wasUp = h.downUntil <= now;
      h.downUntil = now + DOWN_FOR_MS;
      if (wasUp)
        this.opts.onWarning(
          'upstream-failing',
          `Upstream ${up.address} is failing (${error}); ${this.opts.upstreams.length > 1 ? 'trying the others first' : whatClientsGet(error)}.`,
        );
    }
  }

  /**
   * Sends `response` to the client, counts it, and hands the exchange to the sink, with the upstream's answer
   * it came from (null when we answered ourselves).
   */
  private deliver(
    q: QueryContext,
    response: Buffer,
    upstream: string,
    error: string,
    forwarded: UpstreamAnswer | null = null,
  ): void {
    q.reply(response);
    const rcode = rcodeOf(response);
    if (rcode === RCODE.SERVFAIL) this.counts.servfail++;
    else this.counts.answered++;
    const answersAt = questionEnd(response);
    this.opts.sink.record({
      ts: q.arrived,
      client: q.client,
      clientPort: q.clientPort,
      transport: q.transport,
      qname: q.question.name,
      qtype: typeName(q.question.type),
      rcode: rcodeName(rcode),
      answers: answersAt > 0 ? summarizeAnswers(response, answersAt) : '',
      latencyMs: Math.round((this.clock.mono() - q.t0) * 1000) / 1000,
      upstream,
      size: response.length,
      error,
      watchRule: q.rule,
      queryWire: q.msg,
      responseWire: response,
      forwarded,
    });
  }
}

/** What the pipeline knows about one query while it is answered. */
interface QueryContext {
  readonly msg: Buffer;
  readonly question: Question;
  readonly client: string;
  readonly clientPort: number;
  readonly transport: Transport;
  readonly reply: Reply;
  /** Epoch ms at arrival, and the monotonic clock for latency. */
  readonly arrived: number;
  readonly t0: number;
  /** Watchlist rule the name matched ("" for none). */
  readonly rule: string;
}

function noop(): void {}

/** A dgram `lookup` for IP literals only (what rinfo.address always is): hands the address straight back. */
function literalLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, isIP(address));
}

/** A TXT query for `name` with RD set and ID `id`. */
function encodeProbe(name: string, id: number): Buffer {
  const labels = name.split('.');
  const out = Buffer.alloc(HEADER_SIZE + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x0100, 2); // RD
  out.writeUInt16BE(1, 4);
  let pos = HEADER_SIZE;
  for (const l of labels) {
    out[pos++] = l.length;
    pos += out.write(l, pos, 'ascii');
  }
  out[pos++] = 0;
  out.writeUInt16BE(16, pos); // TXT
  out.writeUInt16BE(1, pos + 2); // IN
  return out;
}

/**
 * What clients get from the only upstream while it fails: its own answer when it answered (REFUSED or
 * SERVFAIL is passed on as it came), SERVFAIL when it did not answer at all.
 */
function whatClientsGet(error: string): string {
  const answered = /^answered (\w+)$/.exec(error);
  return answered ? `clients get its ${answered[1]} answers` : 'clients get SERVFAIL';
}
