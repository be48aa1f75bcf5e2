import { readFileSync } from 'node:fs';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { addressBytes, exchangeRecords, pcapHeader } from '../../export/pcap';
import { mutate, readBytes, seeded } from '../test-support';
import { ImportError } from '../types';
import { pcap, pcapng } from './pcap';

// Written by tcpdump 4.99 (-i lo: Ethernet; -i any: Linux cooked v2, and v1 with -y LINUX_SLL) and dumpcap
// (pcapng) while dig asked Debian's dnsmasq on 127.0.0.1:15454: three UDP queries and one over TCP.
const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/import/pcap');
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));
const ASKED = [
  ['www.example.test', 'A', 'NOERROR', '192.0.2.10', 'udp'],
  ['nope.test', 'A', 'NXDOMAIN', '', 'udp'],
  ['gw.safethings.avira.com', 'A', 'NOERROR', '192.0.2.78', 'udp'],
  ['www.example.test', 'AAAA', 'NOERROR', '2001:db8::10', 'tcp'],
];

function query(name: string, id: number, type: 'A' | 'AAAA' = 'A'): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
  });
}

function response(name: string, id: number, data: string, type: 'A' | 'AAAA' = 'A'): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type, name }],
    answers: [{ type, name, ttl: 60, data }],
  });
}

const T0 = Date.parse('2026-11-20T09:00:00Z');

describe('pcap and pcapng files', () => {
  for (const [file, spec] of [
    ['lo-ethernet.pcap', pcap],
    ['any-linux-sll2.pcap', pcap],
    ['any-linux-sll.pcap', pcap],
    ['lo-dumpcap.pcapng', pcapng],
  ] as const)
    it(`reads ${file}: each query paired with its response, over UDP and TCP`, async () => {
      const bytes = fixture(file);
      expect(spec.sniff(bytes, file)).toBe(true);
      const { records, skipped } = await readBytes(spec.read!, bytes, file, { ports: [15454] });
      expect(skipped).toBe(0);
      expect(records.map((r) => [r.qname, r.qtype, r.rcode, r.answers, r.transport])).toEqual(ASKED);
      for (const r of records) {
        expect(r).toMatchObject({ client: '127.0.0.1', upstream: '127.0.0.1:15454' });
        expect(r.clientPort).toBeGreaterThan(1023);
        expect(r.queryWire.length).toBeGreaterThan(12);
        expect(r.responseWire!.length).toBe(r.size);
        expect(r.latencyMs).toBeGreaterThan(0);
      }
      // Without the port, none of it is DNS.
      const other = await readBytes(spec.read!, bytes, file);
      expect(other.records).toEqual([]);
      expect(other.skipped).toBeGreaterThan(0);
    });

  it('reads raw IPv4 and IPv6 over UDP and TCP, as DNS Witness exports them, and skips fragments', async () => {
    const client4 = { address: addressBytes('192.168.0.1')!, port: 40_001 };
    const client6 = { address: addressBytes('fd00::23')!, port: 40_002 };
    const server4 = { address: addressBytes('192.168.0.2')!, port: 53 };
    const server6 = { address: addressBytes('fd00::2')!, port: 53 };
    const parts = [
      pcapHeader(),
      ...exchangeRecords({
        ts: T0,
        latencyMs: 12.5,
        transport: 'udp',
        client: client4,
        server: server4,
        query: query('gw.safethings.avira.com', 1),
        response: response('gw.safethings.avira.com', 1, '192.0.2.7'),
      }),
      ...exchangeRecords({
        ts: T0 + 1000,
        latencyMs: 3,
        transport: 'tcp',
        client: client6,
        server: server6,
        query: query('v6.example', 2, 'AAAA'),
        response: response('v6.example', 2, '2001:db8::1', 'AAAA'),
      }),
      ...exchangeRecords({
        ts: T0 + 2000,
        latencyMs: 0,
        transport: 'udp',
        client: client4,
        server: server4,
        query: query('unanswered.example', 3),
        response: null,
      }),
    ];
    // An IPv4 fragment (more-fragments set) of a UDP datagram to port 53: not a whole message.
    const frag = Buffer.from(exchangeRecords({ ...exchangeArgs(client4, server4), ts: T0 + 3000 })[0]!);
    frag[16 + 6] = 0x20;
    parts.push(frag);
    const { records, skipped } = await readBytes(pcap.read!, Buffer.concat(parts), 'export.pcap');
    expect(skipped).toBe(1);
    expect(
      records.map((r) => [r.ts, r.client, r.clientPort, r.transport, r.qname, r.rcode, r.answers]),
    ).toEqual([
      [T0, '192.168.0.1', 40_001, 'udp', 'gw.safethings.avira.com', 'NOERROR', '192.0.2.7'],
      [T0 + 1000, 'fd00::23', 40_002, 'tcp', 'v6.example', 'NOERROR', '2001:db8::1'],
      [T0 + 2000, '192.168.0.1', 40_001, 'udp', 'unanswered.example', '', ''],
    ]);
    expect(records[0]!.latencyMs).toBe(12.5);
    expect(records[2]!.responseWire).toBeNull();
  });

  it('pairs by addresses, ports, ID and transport: the same port and ID asked of two servers, or again', async () => {
    const client = { address: addressBytes('192.168.0.1')!, port: 40_000 };
    const s1 = { address: addressBytes('192.168.0.2')!, port: 53 };
    const s2 = { address: addressBytes('192.168.0.3')!, port: 53 };
    const s3 = { address: addressBytes('192.168.0.4')!, port: 53 };
    const ex = (
      ts: number,
      transport: 'udp' | 'tcp',
      server: typeof s1,
      name: string,
      id: number,
      data: string,
    ) =>
      exchangeRecords({
        ts,
        latencyMs: 5,
        transport,
        client,
        server,
        query: query(name, id),
        response: response(name, id, data),
      });
    const one = ex(T0, 'udp', s1, 'one.example', 7, '192.0.2.1');
    const two = ex(T0 + 1, 'udp', s2, 'two.example', 7, '192.0.2.2');
    const three = ex(T0 + 2, 'tcp', s1, 'three.example', 7, '192.0.2.3');
    // Asked of a server that was not asked: its response pairs with nothing.
    const stray = ex(T0 + 3, 'udp', s3, 'stray.example', 7, '192.0.2.4');
    // The same query asked again before an answer: the first stays unanswered.
    const first = ex(T0 + 4, 'udp', s1, 'first.example', 8, '192.0.2.8');
    const second = ex(T0 + 5, 'udp', s1, 'second.example', 8, '192.0.2.9');
    const packets = [
      pcapHeader(),
      one[0]!,
      two[0]!,
      ...three.slice(0, -1),
      first[0]!,
      second[0]!,
      stray[1]!,
      three.at(-1)!,
      two[1]!,
      one[1]!,
      second[1]!,
    ];
    const { records, skipped } = await readBytes(pcap.read!, Buffer.concat(packets), 'pairs.pcap');
    expect(skipped).toBe(1);
    expect(records.map((r) => [r.qname, r.transport, r.upstream, r.answers])).toEqual([
      ['one.example', 'udp', '192.168.0.2:53', '192.0.2.1'],
      ['two.example', 'udp', '192.168.0.3:53', '192.0.2.2'],
      ['three.example', 'tcp', '192.168.0.2:53', '192.0.2.3'],
      ['first.example', 'udp', '192.168.0.2:53', ''],
      ['second.example', 'udp', '192.168.0.2:53', '192.0.2.9'],
    ]);
  });

  it('names the offset of the first damage', async () => {
    const good = fixture('lo-ethernet.pcap');
    const cut = good.subarray(0, good.length - 5);
    await expect(readBytes(pcap.read!, cut, 'cut.pcap', { ports: [15454] })).rejects.toThrow(
      /^pcap file cut\.pcap offset \d+: the file ends inside a packet record \(cut short\)$/,
    );
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0x7fffffff, 24 + 8);
    await expect(readBytes(pcap.read!, huge, 'huge.pcap')).rejects.toThrow(
      'pcap file huge.pcap offset 24: a packet record of 2147483647 bytes (damaged)',
    );
    const ng = Buffer.from(fixture('lo-dumpcap.pcapng'));
    ng.writeUInt32LE(13, 4);
    await expect(readBytes(pcapng.read!, ng, 'x.pcapng')).rejects.toThrow(
      'pcapng file x.pcapng offset 0: a block of 13 bytes (damaged)',
    );
    await expect(readBytes(pcap.read!, 'not a capture at all, not even close', 'x.pcap')).rejects.toThrow(
      'pcap file x.pcap offset 0: not a pcap file (no pcap magic number)',
    );
  });

  it('fuzz: random and damaged captures give records or one ImportError, never another failure', async () => {
    const rand = seeded(0x9ca9);
    const bases = [fixture('lo-ethernet.pcap'), fixture('any-linux-sll2.pcap'), fixture('lo-dumpcap.pcapng')];
    for (let i = 0; i < 400; i++) {
      const base = bases[i % 3]!;
      const bytes =
        i % 5 === 0
          ? Buffer.concat([
              base.subarray(0, 24),
              Buffer.from(Array.from({ length: 600 }, () => Math.floor(rand() * 256))),
            ])
          : mutate(base, rand);
      const spec = i % 3 === 2 ? pcapng : pcap;
      try {
        const { records } = await readBytes(spec.read!, bytes, 'fuzz', { ports: [15454] });
        for (const r of records) {
          expect(Number.isFinite(r.ts)).toBe(true);
          expect(typeof r.qname).toBe('string');
        }
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(ImportError);
        expect((err as Error).message).toMatch(/^pcap(ng)? file fuzz offset \d+: /);
      }
    }
  });
});

function exchangeArgs(
  client: { address: Uint8Array; port: number },
  server: { address: Uint8Array; port: number },
) {
  return {
    ts: T0,
    latencyMs: 0,
    transport: 'udp' as const,
    client,
    server,
    query: query('fragment.example', 9),
    response: null,
  };
}
