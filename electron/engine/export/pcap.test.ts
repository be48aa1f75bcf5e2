import { describe, expect, it } from 'vitest';
import { addressBytes, exchangeRecords, pcapHeader } from './pcap';

const server = { address: addressBytes('192.168.0.23')!, port: 53 };

/** RFC 1071 sum over `b` (a correct checksum field makes it 0xffff). */
function sum16(parts: Uint8Array[]): number {
  const b = Buffer.concat(parts);
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('pcap', () => {
  it('writes a libpcap header for raw IP packets', () => {
    const h = pcapHeader();
    expect(h.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(h.readUInt32LE(20)).toBe(101);
  });

  it('parses IPv4, IPv6 and IPv4-mapped addresses', () => {
    expect([...addressBytes('10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect([...addressBytes('::ffff:10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect(Buffer.from(addressBytes('fe80::1%eth0')!).toString('hex')).toBe(
      'fe800000000000000000000000000001',
    );
    expect(Buffer.from(addressBytes('2001:db8::10:0:1')!).toString('hex')).toBe(
      '20010db8000000000000001000000001',
    );
    expect(addressBytes('router.lan')).toBeNull();
  });

  it('times query and response, and fills lengths and checksums the reader checks', () => {
    const query = Uint8Array.from([1, 2, 3, 4, 5]);
    const response = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
    const [q, r] = exchangeRecords({
      ts: 1_763_859_901_123,
      latencyMs: 2.5,
      transport: 'udp',
      client: { address: addressBytes('192.168.0.1')!, port: 40000 },
      server,
      query,
      response,
    });
    expect(q!.readUInt32LE(0)).toBe(1_763_859_901);
    expect(q!.readUInt32LE(4)).toBe(123_000);
    expect(r!.readUInt32LE(4)).toBe(125_500);
    const ip = q!.subarray(16);
    expect(ip.length).toBe(20 + 8 + 5);
    expect(sum16([ip.subarray(0, 20)])).toBe(0xffff);
    const pseudo = Buffer.from([192, 168, 0, 1, 192, 168, 0, 23, 0, 17, 0, 13]);
    expect(sum16([pseudo, ip.subarray(20)])).toBe(0xffff);
    expect(ip.readUInt16BE(20)).toBe(40000);
    expect(ip.readUInt16BE(22)).toBe(53);
  });

  it('frames TCP exchanges after a handshake and skips a family mismatch', () => {
    const recs = exchangeRecords({
      ts: 1000,
      latencyMs: 1,
      transport: 'tcp',
      client: { address: addressBytes('192.168.0.1')!, port: 40000 },
      server,
      query: Uint8Array.from([9, 9]),
      response: null,
    });
    expect(recs).toHaveLength(4);
    const data = recs[3]!.subarray(16 + 20 + 20);
    expect([...data]).toEqual([0, 2, 9, 9]);
    expect(
      exchangeRecords({
        ts: 1000,
        latencyMs: 1,
        transport: 'udp',
        client: { address: addressBytes('fe80::1')!, port: 1 },
        server,
        query: Uint8Array.from([1]),
        response: null,
      }),
    ).toEqual([]);
  });
});
