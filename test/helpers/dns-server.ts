import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';

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

  async start(port = 0): Promise<this> {
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
    return this;
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
