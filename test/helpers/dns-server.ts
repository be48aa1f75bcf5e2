import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { freePort } from './tools';

export type Behaviour =
  | { readonly kind: 'answer'; readonly address: string }
  | { readonly kind: 'silent' }
  | { readonly kind: 'rcode'; readonly rcode: 'SERVFAIL' | 'REFUSED' }
  | { readonly kind: 'delay'; readonly ms: number; readonly address: string }
  /** Send a decoy reply with a wrong ID first, then the real one. */
  | { readonly kind: 'wrong-id-first'; readonly address: string };

/**
 * A small programmable DNS server on 127.0.0.1 (UDP and TCP on the same port) for failure cases a real
 * server will not produce on demand. It records every query it receives (raw bytes).
 */
export class TestDnsServer {
  readonly received: Buffer[] = [];
  behaviour: Behaviour = { kind: 'answer', address: '192.0.2.200' };
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  port = 0;

  /**
   * Listens on `port`, or on a port free for both UDP and TCP. The kernel's choice for UDP is not enough:
   * the same number may be the local port of some TCP connection on this machine (an ephemeral port), and
   * the TCP listener then fails with EADDRINUSE; and another test process may take a free port first. So a
   * port below the ephemeral range is taken, and another one tried when either bind fails so.
   */
  async start(port = 0): Promise<this> {
    if (port !== 0) {
      await this.listen(port);
      return this;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.listen(await freePort());
        return this;
      } catch (err) {
        await this.stop();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
      }
    }
  }

  private async listen(port: number): Promise<void> {
    this.udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      this.udp!.once('error', reject);
      this.udp!.bind(port, '127.0.0.1', () => resolve());
    });
    this.port = this.udp.address().port;
    this.udp.on('message', (msg, rinfo) => {
      this.received.push(msg);
      this.respond(msg, (out) => this.udp?.send(out, rinfo.port, rinfo.address));
    });
    this.tcp = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('error', () => s.destroy());
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          this.received.push(Buffer.from(msg));
          this.respond(msg, (out) => {
            const frame = Buffer.alloc(out.length + 2);
            frame.writeUInt16BE(out.length, 0);
            out.copy(frame, 2);
            if (!s.destroyed) s.write(frame);
          });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private respond(msg: Buffer, send: (out: Buffer) => void): void {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const b = this.behaviour;
    const answer = (address: string, id = q.id ?? 0) =>
      dnsPacket.encode({
        id,
        type: 'response',
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: (q.questions ?? []).map((qq) => ({
          type: 'A' as const,
          name: qq.name,
          ttl: 60,
          data: address,
        })),
      });
    switch (b.kind) {
      case 'silent':
        return;
      case 'answer':
        return send(answer(b.address));
      case 'rcode':
        return send(
          dnsPacket.encode({
            id: q.id ?? 0,
            type: 'response',
            flags: (b.rcode === 'SERVFAIL' ? 2 : 5) | dnsPacket.RECURSION_AVAILABLE,
            questions: q.questions,
          }),
        );
      case 'delay':
        setTimeout(() => send(answer(b.address)), b.ms);
        return;
      case 'wrong-id-first':
        send(answer('203.0.113.66', ((q.id ?? 0) + 1) & 0xffff));
        setTimeout(() => send(answer(b.address)), 5);
        return;
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r()));
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
    this.udp = null;
    this.tcp = null;
  }
}
