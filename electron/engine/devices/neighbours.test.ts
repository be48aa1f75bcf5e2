/**
 * The neighbour-table parsers on sample outputs in testdata/, written in each tool's exact format (column
 * widths, trailing blanks, CRLF on Windows) as the comment above each parser describes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseArpAn,
  parseIpNeigh,
  parseNdpAn,
  parseNetshNeighbors,
  parseProcArp,
  parseWindowsArp,
  type Neighbour,
} from './neighbours';

const sample = (name: string) => readFileSync(join(import.meta.dirname, 'testdata', name), 'utf8');
const pairs = (list: Neighbour[]) => list.map((n) => [n.address, n.mac]);

describe('Linux', () => {
  it('ip neigh show: both families, complete entries only', () => {
    const list = parseIpNeigh(sample('linux-ip-neigh.txt'));
    expect(pairs(list)).toEqual([
      ['192.168.1.1', 'f4:f2:6d:12:34:56'],
      ['192.168.1.23', '3c:22:fb:0a:0b:0c'],
      ['192.168.1.42', '5e:e1:3a:77:10:02'],
      ['172.17.0.2', '02:42:ac:11:00:02'],
      ['10.20.0.7', '00:1b:21:3c:4d:5e'],
      ['fe80::f6f2:6dff:fe12:3456', 'f4:f2:6d:12:34:56'],
      ['2001:db8:1e00::1', 'f4:f2:6d:12:34:56'],
      ['2001:db8:1e00:0:5ce1:3aff:fe77:1002', '5e:e1:3a:77:10:02'],
      ['fe80::1c3a:7bff:fe9e:1d2e', '1e:3a:7b:9e:1d:2e'],
    ]);
    expect(list[0]!.iface).toBe('wlp2s0');
    expect(list[4]!.iface).toBe('enp0s31f6');
  });

  it('ip neigh show: a FAILED entry that still carries an address is skipped', () => {
    expect(parseIpNeigh('192.168.1.9 dev eth0 lladdr 00:1b:21:3c:4d:5e FAILED \n')).toEqual([]);
  });

  it('/proc/net/arp: entries without ATF_COM (incomplete) are skipped', () => {
    expect(pairs(parseProcArp(sample('linux-proc-net-arp.txt')))).toEqual([
      ['192.168.1.1', 'f4:f2:6d:12:34:56'],
      ['192.168.1.23', '3c:22:fb:0a:0b:0c'],
      ['10.20.0.7', '00:1b:21:3c:4d:5e'],
      ['172.17.0.2', '02:42:ac:11:00:02'],
    ]);
  });
});

describe('macOS', () => {
  it('arp -an: short octets padded, incomplete, broadcast and multicast dropped', () => {
    const list = parseArpAn(sample('macos-arp-an.txt'));
    expect(pairs(list)).toEqual([
      ['192.168.1.1', 'f4:f2:6d:12:34:56'],
      ['192.168.1.10', '8c:85:90:1a:2b:3c'],
      ['192.168.1.23', '3c:22:fb:0a:0b:0c'],
      ['192.168.1.42', '5e:e1:3a:77:10:02'],
      ['192.168.2.5', '00:1b:21:3c:4d:5e'],
    ]);
    expect(list.at(-1)!.iface).toBe('bridge100');
  });

  it('arp -a with names resolved reads the same', () => {
    expect(
      pairs(parseArpAn('router.lan (192.168.1.1) at f4:f2:6d:12:34:56 on en0 ifscope [ethernet]')),
    ).toEqual([['192.168.1.1', 'f4:f2:6d:12:34:56']]);
  });

  it('ndp -an: header and (incomplete) skipped, zones dropped', () => {
    const list = parseNdpAn(sample('macos-ndp-an.txt'));
    expect(pairs(list)).toEqual([
      ['2001:db8:1e00::1', 'f4:f2:6d:12:34:56'],
      ['2001:db8:1e00:0:5ce1:3aff:fe77:1002', '5e:e1:3a:77:10:02'],
      ['fe80::f6f2:6dff:fe12:3456', 'f4:f2:6d:12:34:56'],
      ['fe80::aede:48ff:fe00:1122', 'ac:de:48:00:11:22'],
      ['fe80::1c3a:7bff:fe9e:1d2e', '1e:3a:7b:9e:1d:2e'],
    ]);
    expect(list[0]!.iface).toBe('en0');
  });
});

describe('Windows', () => {
  it('arp -a: several interfaces, invalid, broadcast and multicast dropped', () => {
    const list = parseWindowsArp(sample('windows-arp-a.txt'));
    expect(list).toEqual([
      { address: '192.168.1.1', mac: 'f4:f2:6d:12:34:56', iface: '0xb' },
      { address: '192.168.1.23', mac: '3c:22:fb:0a:0b:0c', iface: '0xb' },
      { address: '192.168.1.42', mac: '5e:e1:3a:77:10:02', iface: '0xb' },
      { address: '172.27.20.9', mac: '00:15:5d:aa:bb:cc', iface: '0x1c' },
    ]);
  });

  it('arp -a on a German Windows reads the same', () => {
    const text = [
      '',
      'Schnittstelle: 192.168.1.10 --- 0xb',
      '  Internetadresse       Physische Adresse     Typ',
      '  192.168.1.1           f4-f2-6d-12-34-56     dynamisch ',
      '  192.168.1.255         ff-ff-ff-ff-ff-ff     statisch  ',
      '',
    ].join('\r\n');
    expect(parseWindowsArp(text)).toEqual([
      { address: '192.168.1.1', mac: 'f4:f2:6d:12:34:56', iface: '0xb' },
    ]);
  });

  it('netsh interface ipv6 show neighbors: resolved unicast entries with their interface index', () => {
    const list = parseNetshNeighbors(sample('windows-netsh-ipv6-neighbors.txt'));
    expect(list).toEqual([
      { address: '2001:db8:1e00::1', mac: 'f4:f2:6d:12:34:56', iface: '11' },
      { address: '2001:db8:1e00:0:5ce1:3aff:fe77:1002', mac: '5e:e1:3a:77:10:02', iface: '11' },
      { address: 'fe80::f6f2:6dff:fe12:3456', mac: 'f4:f2:6d:12:34:56', iface: '11' },
      { address: 'fe80::1c3a:7bff:fe9e:1d2e', mac: '1e:3a:7b:9e:1d:2e', iface: '11' },
    ]);
  });
});

it('every parser ignores garbage', () => {
  const junk = 'error: permission denied\n\n\u0000\u0001 (x) at y on z\n::::: 00-00\n';
  for (const p of [parseIpNeigh, parseProcArp, parseArpAn, parseNdpAn, parseWindowsArp, parseNetshNeighbors])
    expect(p(junk)).toEqual([]);
});
