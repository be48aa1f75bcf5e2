/**
 * One dnstap output to a reader's socket (`dnstap -u PATH`, `dnstap -l HOST:PORT`, a collector): a
 * bidirectional Frame Streams connection (READY → ACCEPT → START … STOP → FINISH), like golang-dnstap's
 * FrameStreamSockOutput. It never slows DNS: `push` only queues the record (bounded, drops counted); records
 * are encoded in batches on a later turn of the event loop, and written only while the socket keeps up.
 */
import net from 'node:net';
import type { DnstapTarget } from '@shared/dnstap';
import { formatDnstapTarget } from '@shared/dnstap';
import type { ExchangeRecord } from '../capture/types';
import { realClock, type Clock } from '../clock';
import { DnstapWriter, type DnstapIdentity } from './encode';
import { CONTROL, controlFrame, DNSTAP_CONTENT_TYPE, FrameReader } from './frame-streams';

export interface DnstapOutputOptions {
  readonly identity: DnstapIdentity;
  /** Exchanges waiting to be encoded; beyond it new ones are dropped and counted. */
  readonly queueMax?: number;
  /** Exchanges encoded per turn of the event loop. */
  readonly batch?: number;
  /** Bytes the socket may hold unsent; beyond it encoding waits for 'drain' (and the queue takes the strain). */
  readonly maxBuffered?: number;
  /** Reconnect delays: the first, doubled after each failure up to the last. */
  readonly backoffMs?: readonly [number, number];
  readonly handshakeMs?: number;
  readonly clock?: Clock;
}

export type DnstapOutputState = 'connecting' | 'started' | 'waiting' | 'closed';

export interface DnstapOutputStatus {
  readonly target: string;
  readonly state: DnstapOutputState;
  /** Exchanges written to the socket. */
  readonly sent: number;
  /** Exchanges dropped: the queue was full (reader away or too slow). */
  readonly dropped: number;
  readonly lastError: string;
}

const DEFAULTS = {
  queueMax: 10_000,
  batch: 256,
  maxBuffered: 4 * 1024 * 1024,
  backoffMs: [500, 30_000] as const,
  handshakeMs: 5_000,
};
/** How long close() waits for the reader's FINISH after STOP. */
const FINISH_WAIT_MS = 1_000;

export class DnstapOutput {
  private readonly opts: Required<Omit<DnstapOutputOptions, 'clock'>>;
  private readonly clock: Clock;
  /** A ring of waiting exchanges. */
  private readonly ring: (ExchangeRecord | undefined)[];
  private head = 0;
  private size = 0;
  private socket: net.Socket | null = null;
  private state: DnstapOutputState = 'waiting';
  private scheduled = false;
  private waitingDrain = false;
  private backoff: number;
  private retryTimer: unknown = null;
  private handshakeTimer: unknown = null;
  private sent = 0;
  private dropped = 0;
  private lastError = '';
  private onFinish: (() => void) | null = null;
  private readonly writer = new DnstapWriter();

  constructor(
    readonly target: DnstapTarget,
    opts: DnstapOutputOptions,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.clock = opts.clock ?? realClock;
    this.ring = new Array<ExchangeRecord | undefined>(this.opts.queueMax);
    this.backoff = this.opts.backoffMs[0];
  }

  /** Connects (and keeps reconnecting with backoff until close()). */
  start(): void {
    if (this.state === 'waiting' && this.socket === null && this.retryTimer === null) this.connect();
  }

  /** Queues one exchange. On the query path: constant time, never throws, never blocks. */
  push(rec: ExchangeRecord): void {
    if (this.size >= this.ring.length) {
      this.dropped++;
      return;
    }
    this.ring[(this.head + this.size) % this.ring.length] = rec;
    this.size++;
    this.schedule();
  }

  status(): DnstapOutputStatus {
    return {
      target: formatDnstapTarget(this.target),
      state: this.state,
      sent: this.sent,
      dropped: this.dropped,
      lastError: this.lastError,
    };
  }

  /** Writes what is queued, sends STOP, waits briefly for FINISH, and closes. Never rejects. */
  async close(): Promise<void> {
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearHandshake();
    const socket = this.socket;
    if (!socket) return;
    if (wasStarted && !socket.destroyed) {
      while (this.size > 0) this.writeBatch(socket);
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, FINISH_WAIT_MS);
        this.onFinish = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
        socket.once('close', () => this.onFinish?.());
        socket.write(controlFrame(CONTROL.STOP));
      });
    }
    this.onFinish = null;
    socket.destroy();
    this.socket = null;
  }

  private connect(): void {
    this.state = 'connecting';
    const socket =
      this.target.kind === 'unix'
        ? net.createConnection({ path: this.target.path })
        : net.createConnection({ host: this.target.host, port: this.target.port, noDelay: true });
    this.socket = socket;
    const reader = new FrameReader(4096);
    this.handshakeTimer = this.clock.setTimeout(() => {
      this.lastError = 'the reader did not answer the handshake';
      socket.destroy();
    }, this.opts.handshakeMs);
    socket.on('connect', () => socket.write(controlFrame(CONTROL.READY, [DNSTAP_CONTENT_TYPE])));
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (err) {
        this.lastError = `the reader sent ${(err as Error).message}`;
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.kind !== 'control') continue;
        if (f.control.type === CONTROL.ACCEPT && this.state === 'connecting') {
          // fstrm: the reader lists the content types it accepts; none listed means any.
          const types = f.control.contentTypes;
          if (types.length > 0 && !types.includes(DNSTAP_CONTENT_TYPE)) {
            this.lastError = `the reader does not accept ${DNSTAP_CONTENT_TYPE} (it accepts ${types.join(', ')})`;
            socket.destroy();
            return;
          }
          socket.write(controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]));
          this.clearHandshake();
          this.state = 'started';
          this.lastError = '';
          this.backoff = this.opts.backoffMs[0];
          this.schedule();
        } else if (f.control.type === CONTROL.FINISH) this.onFinish?.();
      }
    });
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.schedule();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err.code ?? err.message;
    });
    socket.on('close', () => {
      this.clearHandshake();
      if (this.socket === socket) this.socket = null;
      this.waitingDrain = false;
      if (this.state === 'closed') return;
      this.state = 'waiting';
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = null;
        if (this.state === 'waiting') this.connect();
      }, this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.opts.backoffMs[1]);
    });
  }

  private clearHandshake(): void {
    if (this.handshakeTimer !== null) this.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private schedule(): void {
    if (this.scheduled || this.state !== 'started' || this.waitingDrain || this.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const socket = this.socket;
      if (this.state !== 'started' || !socket || socket.destroyed) return;
      if (this.writeBatch(socket)) this.schedule();
    });
  }

  /** Encodes up to one batch and writes it. False when the socket is full (then 'drain' resumes). */
  private writeBatch(socket: net.Socket): boolean {
    const n = Math.min(this.size, this.opts.batch);
    const writer = this.writer;
    for (let i = 0; i < n; i++) {
      const index = (this.head + i) % this.ring.length;
      const rec = this.ring[index]!;
      this.ring[index] = undefined;
      try {
        writer.exchange(rec, this.opts.identity);
      } catch {
        // A record the encoder cannot take is dropped, not allowed to stop the output.
        this.dropped++;
      }
    }
    this.head = (this.head + n) % this.ring.length;
    this.size -= n;
    this.sent += n;
    if (writer.size > 0) socket.write(writer.take());
    if (socket.writableLength > this.opts.maxBuffered) {
      this.waitingDrain = true;
      return false;
    }
    return true;
  }
}
