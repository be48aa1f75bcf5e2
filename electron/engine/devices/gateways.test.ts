/**
 * Default-gateway parsers on sample routing tables in testdata/ (exact formats, see each parser's comment).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseIpRouteDefault,
  parseNetstatRn,
  parseProcIpv6Route,
  parseProcNetRoute,
  parseRoutePrint,
} from './gateways';

const sample = (name: string) => readFileSync(join(import.meta.dirname, 'testdata', name), 'utf8');

describe('Linux', () => {
  it('/proc/net/route: little-endian hex, every default route, not other gateways', () => {
    expect(parseProcNetRoute(sample('linux-proc-net-route.txt'))).toEqual(['10.20.0.1', '192.168.1.1']);
  });

  it('/proc/net/route: a default route without the gateway flag (a tunnel) is no router', () => {
    const text =
      'Iface\tDestination\tGateway \tFlags\ntun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n';
    expect(parseProcNetRoute(text)).toEqual([]);
  });

  it('ip -6 route show default', () => {
    expect(parseIpRouteDefault(sample('linux-ip-6-route-default.txt'))).toEqual([
      'fe80::f6f2:6dff:fe12:3456',
      '2001:db8:20::1',
    ]);
  });

  it('ip -6 route show default: multipath nexthops', () => {
    expect(parseIpRouteDefault(sample('linux-ip-6-route-multipath.txt'))).toEqual(['fe80::1', 'fe80::2']);
  });

  it('ip route: non-default routes are ignored', () => {
    expect(
      parseIpRouteDefault('10.8.0.0/24 via 192.168.1.254 dev wlp2s0\ndefault dev wg0 scope link\n'),
    ).toEqual([]);
  });

  it('/proc/net/ipv6_route: network-order hex, default route only', () => {
    expect(parseProcIpv6Route(sample('linux-proc-ipv6-route.txt'))).toEqual(['fe80::f6f2:6dff:fe12:3456']);
  });
});

it('macOS netstat -rn: both families, tunnels and link# gateways skipped', () => {
  expect(parseNetstatRn(sample('macos-netstat-rn.txt'))).toEqual([
    '192.168.1.1',
    '10.20.0.1',
    'fe80::f6f2:6dff:fe12:3456',
  ]);
});

it('macOS netstat -rn before 10.13 (Refs and Use columns)', () => {
  const text = [
    'Internet:',
    'Destination        Gateway            Flags        Refs      Use   Netif Expire',
    'default            192.168.1.1        UGSc           38        0     en0',
    'default            10.8.0.1           UGScI           2        0   utun1',
  ].join('\n');
  expect(parseNetstatRn(text)).toEqual(['192.168.1.1']);
});

it('Windows route print: active IPv4 and IPv6 defaults, not persistent ones', () => {
  expect(parseRoutePrint(sample('windows-route-print.txt'))).toEqual([
    '192.168.1.1',
    '10.20.0.1',
    'fe80::f6f2:6dff:fe12:3456',
  ]);
});

it('Windows route print: an on-link default (PPP) names no gateway, also when localised', () => {
  const text = [
    '          0.0.0.0          0.0.0.0   Auf Verbindung      10.64.0.5     26',
    '          0.0.0.0          0.0.0.0         On-link       10.64.0.5     26',
    ' 24    266 ::/0                     On-link',
  ].join('\r\n');
  expect(parseRoutePrint(text)).toEqual([]);
});
