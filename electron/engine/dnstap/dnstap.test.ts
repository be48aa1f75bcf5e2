import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../capture';
import { parseDnstapTarget } from '@shared/dnstap';
import { dataFrames, dnstapIdentity, encodeExchange } from './encode';
import {
  CONTROL,
  controlFrame,
  DNSTAP_CONTENT_TYPE,
  FrameReader,
  readFrameStreamFile,
} from './frame-streams';
import { DnstapOutput } from './output';
import { dnstap } from './proto/dnstap.js';

/** A query for example.com A with ID 0x1234, and its answer. */
const QUERY = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
const RESPONSE = Buffer.from(
  '123481800001000100000000076578616d706c6503636f6d0000010001c00c000100010000003c0004c0000201',
  'hex',
);

function exchange(over: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    ts: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    client: '192.168.0.23',
    clientPort: 53000,
    transport: 'udp',
    qname: 'example.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.1',
    latencyMs: 12.5,
    upstream: '[2620:fe::fe]:53',
    size: RESPONSE.length,
    error: '',
    watchRule: '',
    queryWire: QUERY,
    responseWire: RESPONSE,
    forwarded: {
      ok: true,
      response: RESPONSE,
      id: 0xbeef,
      sentAt: Date.UTC(2026, 0, 2, 3, 4, 5, 679),
      local: { address: '2001:db8::23', port: 40000 },
    },
    ...over,
  };
}

const ID = dnstapIdentity('witness-test', '1.2.3');

describe('dnstap encoding', () => {
  it('gives CLIENT_QUERY/RESPONSE and FORWARDER_QUERY/RESPONSE with the real bytes, addresses and times', () => {
    const out: Uint8Array[] = [];
    expect(encodeExchange(exchange(), ID, out)).toBe(4);
    const msgs = out.map((b) => dnstap.Dnstap.decode(b));
    const M = dnstap.Message.Type;
    expect(msgs.map((m) => m.message!.type)).toEqual([
      M.CLIENT_QUERY,
      M.CLIENT_RESPONSE,
      M.FORWARDER_QUERY,
      M.FORWARDER_RESPONSE,
    ]);
    for (const m of msgs) {
      expect(Buffer.from(m.identity).toString()).toBe('witness-test');
      expect(Buffer.from(m.version).toString()).toBe('1.2.3');
      expect(m.type).toBe(dnstap.Dnstap.Type.MESSAGE);
    }
    const [cq, cr, fq, fr] = msgs.map((m) => m.message!);
    expect(Buffer.from(cq!.queryAddress!)).toEqual(Buffer.from([192, 168, 0, 23]));
    expect(cq!.queryPort).toBe(53000);
    expect(cq!.socketFamily).toBe(dnstap.SocketFamily.INET);
    expect(cq!.socketProtocol).toBe(dnstap.SocketProtocol.UDP);
    expect(Number(cq!.queryTimeSec)).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    expect(cq!.queryTimeNsec).toBe(678_000_000);
    expect(Buffer.from(cq!.queryMessage!)).toEqual(QUERY);
    expect(Buffer.from(cr!.responseMessage!)).toEqual(RESPONSE);
    expect(cr!.responseTimeNsec).toBe(690_500_000);
    expect(fq!.socketFamily).toBe(dnstap.SocketFamily.INET6);
    expect(Buffer.from(fq!.responseAddress!).toString('hex')).toBe('262000fe0000000000000000000000fe');
    expect(fq!.responsePort).toBe(53);
    expect(fq!.queryPort).toBe(40000);
    expect(fq!.queryTimeNsec).toBe(679_000_000);
    // Our own query ID on the forwarder side; the rest of the bytes as the client sent them.
    expect(Buffer.from(fq!.queryMessage!).readUInt16BE(0)).toBe(0xbeef);
    expect(Buffer.from(fq!.queryMessage!).subarray(2)).toEqual(QUERY.subarray(2));
    expect(Buffer.from(fr!.responseMessage!).readUInt16BE(0)).toBe(0xbeef);
    // The record's bytes are left as they were.
    expect(QUERY.readUInt16BE(0)).toBe(0x1234);
  });

  it('sends only the client side for a query answered here, or when the forwarder side is not wanted', () => {
    const out: Uint8Array[] = [];
    expect(encodeExchange(exchange({ forwarded: null, upstream: '' }), ID, out)).toBe(2);
    expect(encodeExchange(exchange(), ID, out, false)).toBe(2);
    expect(encodeExchange(exchange({ responseWire: null, forwarded: null }), ID, out)).toBe(1);
  });

  it('frames messages and reads a START … STOP file back', () => {
    const file = Buffer.concat([
      controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]),
      dataFrames([Buffer.from('abc'), Buffer.from('de')]),
      controlFrame(CONTROL.STOP),
    ]);
    const read = readFrameStreamFile(file);
    expect(read.contentType).toBe(DNSTAP_CONTENT_TYPE);
    expect(read.frames.map((f) => f.toString())).toEqual(['abc', 'de']);
    expect(() => readFrameStreamFile(file.subarray(0, file.length - 4))).toThrow();
  });

  it('parses output targets', () => {
    expect(parseDnstapTarget('unix:/run/dnstap.sock')).toEqual({ kind: 'unix', path: '/run/dnstap.sock' });
    expect(parseDnstapTarget('tcp:127.0.0.1:6000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 6000 });
    expect(parseDnstapTarget('tcp:[::1]:6000')).toEqual({ kind: 'tcp', host: '::1', port: 6000 });
    for (const bad of ['unix:relative', 'tcp:127.0.0.1', 'tcp:host.example:6000', 'udp:1.2.3.4:5', ''])
      expect(parseDnstapTarget(bad)).toBeNull();
  });
});

/** A minimal bidirectional reader: answers READY with ACCEPT, STOP with FINISH, collects data frames. */
function fakeReader(path: string, accept = DNSTAP_CONTENT_TYPE) {
  const frames: Buffer[] = [];
  const controls: number[] = [];
  const server = net.createServer((s) => {
    const r = new FrameReader();
    s.on('data', (chunk: Buffer) => {
      for (const f of r.push(chunk)) {
        if (f.kind === 'data') frames.push(Buffer.from(f.data));
        else {
          controls.push(f.control.type);
          if (f.control.type === CONTROL.READY) s.write(controlFrame(CONTROL.ACCEPT, [accept]));
          if (f.control.type === CONTROL.STOP) s.end(controlFrame(CONTROL.FINISH));
        }
      }
    });
    s.on('error', () => undefined);
  });
  return {
    frames,
    controls,
    listen: () => new Promise<void>((r) => server.listen(path, r)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DnstapOutput', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const sockPath = () => {
    const d = mkdtempSync(join(os.tmpdir(), 'dnstap-'));
    dirs.push(d);
    return join(d, 'r.sock');
  };

  it('shakes hands (READY, ACCEPT, START), sends every exchange, and ends with STOP/FINISH', async () => {
    const path = sockPath();
    const reader = fakeReader(path);
    await reader.listen();
    const out = new DnstapOutput({ kind: 'unix', path }, { identity: ID });
    out.start();
    for (let i = 0; i < 3; i++) out.push(exchange());
    await until(() => reader.frames.length === 12);
    await out.close();
    expect(reader.controls).toEqual([CONTROL.READY, CONTROL.START, CONTROL.STOP]);
    expect(out.status()).toMatchObject({ sent: 3, dropped: 0, state: 'closed' });
    await reader.close();
  });

  it('queues while the reader is away, counts what does not fit, and connects when it comes', async () => {
    const path = sockPath();
    const out = new DnstapOutput({ kind: 'unix', path }, { identity: ID, queueMax: 5, backoffMs: [20, 40] });
    out.start();
    for (let i = 0; i < 8; i++) out.push(exchange({ forwarded: null }));
    expect(out.status().dropped).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    const reader = fakeReader(path);
    await reader.listen();
    await until(() => reader.frames.length === 10);
    expect(out.status()).toMatchObject({ state: 'started', sent: 5, dropped: 3 });
    await out.close();
    await reader.close();
  });

  it('refuses a reader that does not accept dnstap', async () => {
    const path = sockPath();
    const reader = fakeReader(path, 'protobuf:other');
    await reader.listen();
    const out = new DnstapOutput({ kind: 'unix', path }, { identity: ID, backoffMs: [1000, 1000] });
    out.start();
    await until(() => out.status().lastError !== '');
    expect(out.status().lastError).toMatch(/does not accept protobuf:dnstap.Dnstap/);
    await out.close();
    await reader.close();
  });
});
