import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
import { cryptoRandom, realClock, type Clock, type RandomSource } from '../clock';
import { readId, readQuestion, sameQuestion, writeId, type Question } from './wire';

/** Our side of the socket a query went out on (dnstap's FORWARDER_QUERY initiator). */
export interface LocalEndpoint {
  readonly address: string;
  readonly port: number;
}

/** An answer from one upstream, with what dnstap says about the exchange. */
export interface UpstreamAnswer {
  readonly ok: true;
  /** The reply, its ID already restored to the client's. */
  readonly response: Buffer;
  /** The ID we sent the query with (and the reply came back with). */
  readonly id: number;
  /** Epoch ms when the query was sent to the upstream. */
  readonly sentAt: number;
  /** Our address and port toward the upstream. */
  readonly local: LocalEndpoint;
}

/** Outcome of one exchange with one upstream. Never a rejected promise. */
export type ExchangeResult = UpstreamAnswer | { readonly ok: false; readonly error: string };

/** An upstream resolver reachable over UDP and TCP (modelled on dnsproxy's Upstream: exchange, address, close). */
export interface Upstream {
  /** "host:port", IPv6 in brackets. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Sends `query` (its ID is replaced by one of ours and restored in the result). Resolves, never rejects. */
  exchangeUdp(query: Uint8Array, question: Question, timeoutMs: number): Promise<ExchangeResult>;
  /**
   * The same exchange with a callback, called exactly once and never synchronously: the forwarder's hot
   * path, which saves the promise and its microtask per query.
   */
  exchangeUdpCallback(
    query: Uint8Array,
    question: Question,
    timeoutMs: number,
    done: (r: ExchangeResult) => void,
  ): void;
  exchangeTcp(query: Uint8Array, question: Question, timeoutMs: number): Promise<ExchangeResult>;
  /** Resolves every pending exchange with an error and releases sockets. */
  close(): void;
  /** Replies dropped because they matched no pending exchange or carried another question. */
  readonly unexpectedReplies: number;
}

export interface UpstreamSpec {
  readonly host: string;
  readonly port: number;
}

/** What an upstream takes from its owner; each defaults to the real thing. */
export interface UpstreamDeps {
  /** Deadlines and the timeout sweep. */
  readonly clock?: Clock;
  /** Query IDs. */
  readonly random?: RandomSource;
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

interface Pending {
  readonly key: number;
  readonly socket: number;
  readonly clientId: number;
  readonly question: Question;
  /** Epoch ms when the query was sent. */
  readonly sent: number;
  readonly deadline: number;
  readonly done: (r: ExchangeResult) => void;
}

const SOCKETS_PER_UPSTREAM = 4;

/**
 * UDP + TCP upstream. UDP uses a few connected sockets with random source ports (kernel-filtered to the
 * upstream's address, and told about ICMP port-unreachable) and an unpredictable ID per exchange
 * (RFC 5452 §9.2; see CryptoRandom).
 */
export class NetworkUpstream implements Upstream {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  unexpectedReplies = 0;
  private readonly sockets: (dgram.Socket | null)[] = [];
  /** Each connected socket's own address and port, taken once at connect. */
  private readonly locals: LocalEndpoint[] = [];
  private readonly connecting: (Promise<dgram.Socket> | null)[] = [];
  /** Insertion order is deadline order (one timeout per engine), so the sweep stops at the first live entry. */
  private readonly pending = new Map<number, Pending>();
  private sweepTimer: unknown = null;
  private next = 0;
  private closed = false;
  private readonly clock: Clock;
  private readonly random: RandomSource;

  constructor(spec: UpstreamSpec, deps: UpstreamDeps = {}) {
    this.clock = deps.clock ?? realClock;
    this.random = deps.random ?? cryptoRandom;
    this.host = spec.host;
    this.port = spec.port;
    this.address = formatHostPort(spec.host, spec.port);
    for (let i = 0; i < SOCKETS_PER_UPSTREAM; i++) {
      this.sockets.push(null);
      this.connecting.push(null);
    }
  }

  exchangeUdp(query: Uint8Array, question: Question, timeoutMs: number): Promise<ExchangeResult> {
    return new Promise((resolve) => this.exchangeUdpCallback(query, question, timeoutMs, resolve));
  }

  exchangeUdpCallback(
    query: Uint8Array,
    question: Question,
    timeoutMs: number,
    done: (r: ExchangeResult) => void,
  ): void {
    if (this.closed) return later(done, { ok: false, error: 'closed' });
    const index = this.next++ % SOCKETS_PER_UPSTREAM;
    // The common case, a socket already connected, goes straight to the send.
    const ready = this.sockets[index];
    if (ready) return this.sendUdp(ready, index, query, question, timeoutMs, done);
    this.socketAt(index).then(
      (socket) => this.sendUdp(socket, index, query, question, timeoutMs, done),
      (err: NodeJS.ErrnoException) => done({ ok: false, error: `udp: ${err.code ?? err.message}` }),
    );
  }

  private sendUdp(
    socket: dgram.Socket,
    index: number,
    query: Uint8Array,
    question: Question,
    timeoutMs: number,
    done: (r: ExchangeResult) => void,
  ): void {
    const id = this.allocateId(index);
    if (id < 0) return later(done, { ok: false, error: 'no free query ID' });
    const out = Buffer.from(query);
    const clientId = readId(out);
    writeId(out, id);
    const key = index * 65536 + id;
    const now = this.clock.now();
    this.pending.set(key, {
      key,
      socket: index,
      clientId,
      question,
      sent: now,
      deadline: now + timeoutMs,
      done,
    });
    this.ensureSweep();
    // No send callback: Node then skips a SendWrap callback and a nextTick per packet. Refusals still arrive
    // as socket errors (onSocketError); a packet the kernel drops outright is caught by the timeout.
    socket.send(out);
  }

  private allocateId(index: number): number {
    const base = index * 65536;
    for (let tries = 0; tries < 16; tries++) {
      const id = this.random.uint16();
      if (!this.pending.has(base + id)) return id;
    }
    for (let id = 0; id < 65536; id++) if (!this.pending.has(base + id)) return id;
    return -1;
  }

  private socketAt(index: number): Promise<dgram.Socket> {
    const ready = this.sockets[index];
    if (ready) return Promise.resolve(ready);
    const inProgress = this.connecting[index];
    if (inProgress) return inProgress;
    const p = new Promise<dgram.Socket>((resolve, reject) => {
      const socket = dgram.createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
      const fail = (err: Error) => {
        this.connecting[index] = null;
        socket.close();
        reject(err);
      };
      socket.once('error', fail);
      socket.connect(this.port, this.host, () => {
        socket.off('error', fail);
        socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(index, err));
        socket.on('message', (msg) => this.onReply(index, msg));
        const local = socket.address();
        this.locals[index] = { address: local.address, port: local.port };
        this.sockets[index] = socket;
        this.connecting[index] = null;
        resolve(socket);
      });
    });
    this.connecting[index] = p;
    return p;
  }

  private onReply(index: number, msg: Buffer): void {
    if (msg.length < 12) {
      this.unexpectedReplies++;
      return;
    }
    const key = index * 65536 + readId(msg);
    const p = this.pending.get(key);
    const q = p ? readQuestion(msg) : null;
    // RFC 5452 §4.3: accept only a reply that matches ID, source (kernel-checked: connected socket) and question.
    if (!p || !q || !sameQuestion(p.question, q)) {
      this.unexpectedReplies++;
      return;
    }
    writeId(msg, p.clientId);
    this.finish(key, {
      ok: true,
      response: msg,
      id: key - index * 65536,
      sentAt: p.sent,
      local: this.locals[index] ?? NO_LOCAL,
    });
  }

  private onSocketError(index: number, err: NodeJS.ErrnoException): void {
    // ICMP port unreachable arrives as ECONNREFUSED on a connected socket: nothing listens upstream, so
    // every exchange waiting on this socket fails now instead of at its timeout.
    const error = err.code === 'ECONNREFUSED' ? 'connection refused' : `udp: ${err.code ?? err.message}`;
    for (const p of this.pending.values()) if (p.socket === index) this.finish(p.key, { ok: false, error });
  }

  private finish(key: number, result: ExchangeResult): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    // Nothing left to time out: no timer, so an answered query costs no wake-up after its answer.
    if (this.pending.size === 0) this.stopSweep();
    p.done(result);
  }

  /**
   * One timer, due at the oldest pending exchange's deadline (they are kept in the order sent, and the
   * forwarder gives them all the same timeout, so the oldest is due first). It is set only while exchanges
   * wait, and fires only when one may have timed out.
   */
  private ensureSweep(): void {
    if (this.sweepTimer !== null) return;
    const oldest = this.pending.values().next();
    if (oldest.done) return;
    this.sweepTimer = this.clock.setTimeout(
      () => {
        this.sweepTimer = null;
        this.sweep();
      },
      Math.max(0, oldest.value.deadline - this.clock.now()),
    );
  }

  private stopSweep(): void {
    if (this.sweepTimer === null) return;
    this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const p of this.pending.values()) {
      if (p.deadline > now) break;
      this.finish(p.key, { ok: false, error: 'timeout' });
    }
    this.ensureSweep();
  }

  exchangeTcp(query: Uint8Array, question: Question, timeoutMs: number): Promise<ExchangeResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'closed' });
    return new Promise<ExchangeResult>((resolve) => {
      const id = this.random.uint16();
      // RFC 1035 §4.2.2: over TCP each message is preceded by its two-byte length.
      const out = Buffer.alloc(query.length + 2);
      out.writeUInt16BE(query.length, 0);
      out.set(query, 2);
      const clientId = readId(query);
      writeId(out.subarray(2), id);
      let done = false;
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let local: LocalEndpoint = NO_LOCAL;
      const socket = net.connect({ host: this.host, port: this.port });
      const end = (r: ExchangeResult) => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        socket.destroy();
        resolve(r);
      };
      const timer = this.clock.setTimeout(() => end({ ok: false, error: 'timeout' }), timeoutMs);
      socket.setNoDelay(true);
      socket.on('connect', () => {
        sentAt = this.clock.now();
        local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
        socket.write(out);
      });
      socket.on('error', (err: NodeJS.ErrnoException) =>
        end({ ok: false, error: `tcp: ${err.code ?? err.message}` }),
      );
      socket.on('close', () => end({ ok: false, error: 'tcp: connection closed' }));
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) return;
          const msg = Buffer.from(buf.subarray(2, 2 + len));
          buf = buf.subarray(2 + len);
          const q = readQuestion(msg);
          if (msg.length >= 12 && readId(msg) === id && q && sameQuestion(question, q)) {
            writeId(msg, clientId);
            end({ ok: true, response: msg, id, sentAt, local });
            return;
          }
          this.unexpectedReplies++;
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) this.finish(p.key, { ok: false, error: 'closed' });
    this.stopSweep();
    for (const s of this.sockets) s?.close();
    this.sockets.fill(null);
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

const NO_LOCAL: LocalEndpoint = { address: '', port: 0 };

/** Calls `done` with `result` on a later tick, so callers never see a synchronous completion. */
function later(done: (r: ExchangeResult) => void, result: ExchangeResult): void {
  process.nextTick(done, result);
}
