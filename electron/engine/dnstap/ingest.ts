/**
 * The decode queue between the dnstap inputs' sockets and the capture. Sockets only split bytes into frames
 * and queue them (bounded; a full queue pauses the senders, and what still does not fit is dropped and
 * counted); frames are decoded and paired in batches on later turns of the event loop, so the forwarder's
 * sockets, on the same loop, wait for at most one batch.
 */
import type { ExchangeRecord } from '../capture/types';
import { realClock, type Clock } from '../clock';
import { decodeDnstap, ExchangeAssembler, SourceName } from './decode';

/** A sender as the queue sees it: the input it came in on, a way to drop it, and flow control. */
export interface IngestPeer {
  /** The input ("unix:/run/dnsw.sock", "tcp:127.0.0.1:6000"). */
  readonly input: string;
  /** True once it was dropped: its queued frames are skipped. */
  readonly dropped: boolean;
  drop(reason: string): void;
  pause(): void;
  resume(): void;
}

export interface IngestOptions {
  /** Where each exchange goes: the engine's record pipeline. Must not throw. */
  readonly sink: (rec: ExchangeRecord) => void;
  readonly classify?: (qname: string) => string;
  /** Frames waiting to be decoded at most; beyond it they are dropped and counted. */
  readonly queueMax?: number;
  /** Bytes of those frames at most, likewise. */
  readonly bytesMax?: number;
  /** Frames decoded per turn of the event loop. */
  readonly batch?: number;
  /** How long a query waits for its response. */
  readonly waitMs?: number;
  readonly clock?: Clock;
}

const SOURCES_KEPT = 8;

export class DnstapIngest {
  private readonly frames: (Uint8Array | undefined)[];
  private readonly peers: (IngestPeer | undefined)[];
  private head = 0;
  private size = 0;
  private bytes = 0;
  private readonly bytesMax: number;
  private scheduled = false;
  private readonly paused = new Set<IngestPeer>();
  private readonly assembler: ExchangeAssembler;
  private readonly clock: Clock;
  private readonly batch: number;
  private readonly expireTimer: unknown;
  /** The name each peer last reported, and the source text made from it. */
  private readonly names = new WeakMap<IngestPeer, SourceName>();
  private readonly recentSources: string[] = [];
  messages = 0;
  records = 0;
  dropped = 0;

  constructor(private readonly opts: IngestOptions) {
    const max = opts.queueMax ?? 65_536;
    this.frames = new Array<Uint8Array | undefined>(max);
    this.peers = new Array<IngestPeer | undefined>(max);
    this.bytesMax = opts.bytesMax ?? 64 * 1024 * 1024;
    this.batch = opts.batch ?? 256;
    this.clock = opts.clock ?? realClock;
    this.assembler = new ExchangeAssembler(
      (rec) => {
        this.records++;
        opts.sink(rec);
      },
      { classify: opts.classify, waitMs: opts.waitMs },
    );
    this.expireTimer = this.clock.setInterval(() => this.assembler.expire(this.clock.now()), 1000);
    (this.expireTimer as { unref?: () => void }).unref?.();
  }

  /** The resolvers heard from, newest first. */
  get sources(): readonly string[] {
    return this.recentSources;
  }

  /** Queues one data frame from `peer`. Constant time; pauses the peer while the queue is over half full. */
  push(frame: Uint8Array, peer: IngestPeer): void {
    const cap = this.frames.length;
    if (this.size >= cap || this.bytes + frame.length > this.bytesMax) {
      this.dropped++;
      return;
    }
    const at = (this.head + this.size) % cap;
    this.frames[at] = frame;
    this.peers[at] = peer;
    this.size++;
    this.bytes += frame.length;
    if ((this.size > cap >> 1 || this.bytes > this.bytesMax >> 1) && !this.paused.has(peer)) {
      this.paused.add(peer);
      peer.pause();
    }
    this.schedule();
  }

  /** Decodes everything queued, records the waiting queries as unanswered, stops the timer. */
  close(): void {
    while (this.size > 0) this.decodeBatch();
    this.assembler.flush(this.clock.now());
    this.clock.clearInterval(this.expireTimer);
  }

  private schedule(): void {
    if (this.scheduled || this.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.decodeBatch();
      this.schedule();
    });
  }

  private decodeBatch(): void {
    const cap = this.frames.length;
    const n = Math.min(this.size, this.batch);
    const now = this.clock.now();
    for (let i = 0; i < n; i++) {
      const at = (this.head + i) % cap;
      const frame = this.frames[at]!;
      const peer = this.peers[at]!;
      this.frames[at] = undefined;
      this.peers[at] = undefined;
      this.bytes -= frame.length;
      if (peer.dropped) continue;
      const d = decodeDnstap(frame);
      if (d === null) {
        peer.drop('sent a data frame that is not a dnstap message');
        continue;
      }
      if (d === undefined) continue;
      this.messages++;
      this.assembler.add(d, this.sourceOf(peer, d.identity, d.version), now);
    }
    this.head = (this.head + n) % cap;
    this.size -= n;
    if (this.paused.size > 0 && this.size < cap >> 2 && this.bytes < this.bytesMax >> 2) {
      for (const p of this.paused) p.resume();
      this.paused.clear();
    }
  }

  /** "dnstap: unbound-1 (unbound 1.17.1) via unix:/run/dnsw.sock", made once per peer and name. */
  private sourceOf(peer: IngestPeer, identity: Uint8Array, version: Uint8Array): string {
    let names = this.names.get(peer);
    if (!names) this.names.set(peer, (names = new SourceName(peer.input)));
    const before = names.peer;
    const source = names.of(identity, version);
    if (names.peer !== before) {
      const i = this.recentSources.indexOf(names.peer);
      if (i >= 0) this.recentSources.splice(i, 1);
      this.recentSources.unshift(names.peer);
      this.recentSources.length = Math.min(this.recentSources.length, SOURCES_KEPT);
    }
    return source;
  }
}
