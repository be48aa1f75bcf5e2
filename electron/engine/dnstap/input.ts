/**
 * One dnstap input (`--dnstap-in unix:PATH|tcp:ADDR:PORT`): listens for resolvers' Frame Streams, the way
 * `dnstap -u PATH` and golang-dnstap's FrameStreamSockInput do. A bidirectional sender (Unbound, dnsdist,
 * Knot) says READY and gets ACCEPT before START; a unidirectional one starts with START. STOP is answered
 * with FINISH. A peer that breaks the protocol is dropped with one log line; the others go on.
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { DnstapInListener } from '@shared/events';
import type { DnstapTarget } from '@shared/dnstap';
import { formatDnstapTarget } from '@shared/dnstap';
import { normalizeAddress } from '../dns/acl';
import { realClock, type Clock } from '../clock';
import { CONTROL, controlFrame, DNSTAP_CONTENT_TYPE, FrameReader } from './frame-streams';
import type { DnstapIngest, IngestPeer } from './ingest';

export interface DnstapInputOptions {
  readonly ingest: Pick<DnstapIngest, 'push'>;
  /** Whether a TCP peer's address may send (the DNS allow-list); unix peers are local and always may. */
  readonly allows: (address: string) => boolean;
  /** One line per dropped or refused peer. */
  readonly log: (message: string) => void;
  /** A data frame larger than this drops the peer: a DNS message is at most 64 KiB, a dnstap one two of them. */
  readonly maxFrame?: number;
  /** A peer that has not sent START by then is dropped. */
  readonly handshakeMs?: number;
  /** Peers connected at once at most; more are refused. */
  readonly maxPeers?: number;
  readonly clock?: Clock;
}

const DEFAULTS = { maxFrame: 256 * 1024, handshakeMs: 10_000, maxPeers: 64 };

export class DnstapInput {
  private server: net.Server | null = null;
  private readonly peers = new Set<Peer>();
  private state: DnstapInListener['state'] = 'closed';
  private error = '';
  peersDropped = 0;
  private readonly opts: Required<Omit<DnstapInputOptions, 'clock'>>;
  private readonly clock: Clock;
  readonly name: string;

  constructor(
    readonly target: DnstapTarget,
    opts: DnstapInputOptions,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.clock = opts.clock ?? realClock;
    this.name = formatDnstapTarget(target);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  status(): DnstapInListener {
    return { target: this.name, state: this.state, error: this.error };
  }

  /** Listens. A failure (address in use, no permission) is in the status and the result, never thrown. */
  async listen(): Promise<DnstapInListener> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    try {
      if (this.target.kind === 'unix') await this.clearStaleSocket(this.target.path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        if (this.target.kind === 'unix') server.listen(this.target.path, resolve);
        else server.listen({ host: this.target.host, port: this.target.port }, resolve);
      });
      server.on('error', (err) => this.opts.log(`dnstap input ${this.name}: ${err.message}`));
      this.state = 'listening';
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.state = 'error';
      this.error =
        e.code === 'EADDRINUSE'
          ? 'in use (another DNS Witness or dnstap reader listens there)'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
      server.close();
      this.server = null;
    }
    return this.status();
  }

  /** Stops listening, closes the peers (their queued frames are still decoded), removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const p of this.peers) p.socket.destroy();
    this.peers.clear();
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.state = 'closed';
  }

  /**
   * A socket file left by an earlier run that nobody listens on any more is removed; a socket someone still
   * listens on, or a file that is not a socket, is left alone (then listening fails with EADDRINUSE).
   */
  private async clearStaleSocket(path: string): Promise<void> {
    const st = await lstat(path).catch(() => null);
    if (!st?.isSocket()) return;
    const alive = await new Promise<boolean>((resolve) => {
      const probe = net.createConnection({ path });
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (!alive) await unlink(path).catch(() => undefined);
  }

  private accept(socket: net.Socket): void {
    const who =
      this.target.kind === 'unix'
        ? `a local peer on ${this.name}`
        : `${normalizeAddress(socket.remoteAddress ?? '')}:${socket.remotePort ?? 0} on ${this.name}`;
    if (this.target.kind === 'tcp' && !this.opts.allows(normalizeAddress(socket.remoteAddress ?? ''))) {
      this.peersDropped++;
      this.opts.log(`dnstap: refused ${who}: not in the allowed ranges (--allow)`);
      socket.destroy();
      return;
    }
    if (this.peers.size >= this.opts.maxPeers) {
      this.peersDropped++;
      this.opts.log(`dnstap: refused ${who}: ${this.opts.maxPeers} peers are connected already`);
      socket.destroy();
      return;
    }
    const peer = new Peer(socket, this.name, this.opts, this.clock, (reason) => {
      this.peersDropped++;
      this.opts.log(`dnstap: dropped ${who}: ${reason}`);
    });
    this.peers.add(peer);
    socket.once('close', () => this.peers.delete(peer));
  }
}

/** One connected sender: the Frame Streams state machine of a reader. */
class Peer implements IngestPeer {
  private readonly reader: FrameReader;
  private started = false;
  /** After STOP: whatever follows is ignored (its queued frames are still decoded). */
  private stopped = false;
  private bidirectional = false;
  private timer: unknown;
  dropped = false;

  constructor(
    readonly socket: net.Socket,
    readonly input: string,
    private readonly opts: Required<Omit<DnstapInputOptions, 'clock'>>,
    private readonly clock: Clock,
    private readonly onDrop: (reason: string) => void,
  ) {
    this.reader = new FrameReader(opts.maxFrame);
    this.timer = clock.setTimeout(
      () => this.drop(`sent no START within ${opts.handshakeMs / 1000} s`),
      opts.handshakeMs,
    );
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => this.clock.clearTimeout(this.timer));
  }

  drop(reason: string): void {
    if (this.dropped) return;
    this.dropped = true;
    this.clock.clearTimeout(this.timer);
    this.onDrop(reason);
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.socket.destroyed) this.socket.resume();
  }

  private data(chunk: Buffer): void {
    if (this.dropped || this.stopped) return;
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      const why = (err as Error).message;
      return this.drop(
        why.startsWith('data frame of')
          ? `sent a ${why} (over the ${this.opts.maxFrame}-byte limit)`
          : `sent a ${why} (not Frame Streams)`,
      );
    }
    for (const f of frames) {
      if (this.dropped || this.stopped) return;
      if (f.kind === 'data') {
        if (!this.started) return this.drop('sent data before START');
        this.opts.ingest.push(f.data, this);
        continue;
      }
      const { type, contentTypes } = f.control;
      // fstrm: READY lists the content types the writer can send; the reader ACCEPTs the one it reads.
      if (type === CONTROL.READY && !this.started && !this.bidirectional) {
        if (!contentTypes.includes(DNSTAP_CONTENT_TYPE))
          return this.drop(
            `offers ${contentTypes.join(', ') || 'no content type'}, not ${DNSTAP_CONTENT_TYPE}`,
          );
        this.bidirectional = true;
        this.socket.write(controlFrame(CONTROL.ACCEPT, [DNSTAP_CONTENT_TYPE]));
      } else if (type === CONTROL.START && !this.started) {
        if (contentTypes.length > 0 && !contentTypes.includes(DNSTAP_CONTENT_TYPE))
          return this.drop(`starts ${contentTypes.join(', ')}, not ${DNSTAP_CONTENT_TYPE}`);
        this.started = true;
        this.clock.clearTimeout(this.timer);
      } else if (type === CONTROL.STOP && this.started) {
        // The sender is done: a bidirectional one waits for FINISH before it closes.
        if (this.bidirectional) this.socket.end(controlFrame(CONTROL.FINISH));
        else this.socket.end();
        this.stopped = true;
        this.clock.clearTimeout(this.timer);
        return;
      } else return this.drop(`sent an unexpected control frame (type ${type})`);
    }
  }
}
