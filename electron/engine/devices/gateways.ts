/**
 * Parsers for the routing tables each OS prints, returning the default gateways (IPv4 and IPv6): the router.
 * Pure functions: text in, canonical addresses out, deduplicated, in table order.
 */
import { isIP } from 'node:net';
import { canonicalAddress, ipv6Bytes } from './address';
import { ipv6Text } from '../dns/wire';

function unique(list: readonly string[]): string[] {
  return [...new Set(list.filter((a) => a !== ''))];
}

/** RTF_UP | RTF_GATEWAY (include/uapi/linux/route.h): a usable route through a gateway. */
const RTF_UP_GATEWAY = 0x0003;

/**
 * Linux `/proc/net/route` (IPv4): tab-separated "Iface Destination Gateway Flags RefCnt Use Metric Mask …",
 * addresses as 8 hex digits in host (little-endian) byte order, so "0101A8C0" is 192.168.1.1.
 */
export function parseProcNetRoute(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[2]!)) continue;
    const [, dest, gw, flags, , , , mask] = f;
    if (dest !== '00000000' || mask !== '00000000' || gw === '00000000') continue;
    if ((parseInt(flags!, 16) & RTF_UP_GATEWAY) !== RTF_UP_GATEWAY) continue;
    const n = parseInt(gw!, 16);
    out.push(`${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`);
  }
  return unique(out);
}

/**
 * Linux `ip -6 route show default` (or `ip route show default`): "default via fe80::1 dev wlp2s0 proto ra
 * metric 600 pref medium"; multipath routes list "nexthop via ADDR dev IF weight 1" on following lines.
 */
export function parseIpRouteDefault(text: string): string[] {
  const out: string[] = [];
  let inDefault = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) inDefault = f[0] === 'default';
    if (!inDefault) continue;
    const via = f.indexOf('via');
    if (via >= 0 && f[via + 1]) {
      // iproute2 prints "via inet6 ADDR" for a nexthop of the other family.
      const addr = f[via + 1] === 'inet' || f[via + 1] === 'inet6' ? f[via + 2] : f[via + 1];
      out.push(canonicalAddress(addr ?? ''));
    }
  }
  return unique(out);
}

/**
 * Linux `/proc/net/ipv6_route`: "DEST PLEN SRC SPLEN NEXTHOP METRIC REFCNT USE FLAGS IFACE", addresses as 32
 * hex digits in network byte order. Default routes have DEST all zeros and PLEN 00.
 */
export function parseProcIpv6Route(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/i.test(f[4]!)) continue;
    if (!/^0{32}$/.test(f[0]!) || f[1] !== '00' || /^0{32}$/.test(f[4]!)) continue;
    if ((parseInt(f[8]!, 16) & RTF_UP_GATEWAY) !== RTF_UP_GATEWAY) continue;
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(f[4]!.slice(2 * i, 2 * i + 2), 16);
    out.push(ipv6Text(bytes, 0));
  }
  return unique(out);
}

/** Point-to-point tunnels (VPNs, 6to4) whose "gateway" is not a device on the LAN. */
const MAC_TUNNEL = /^(utun|ipsec|ppp|gif|stf|tun|tap)\d*/;

/**
 * macOS `netstat -rn` (both families, "Internet:" and "Internet6:" sections): rows
 * "default 192.168.1.1 UGScg en0" and "default fe80::f6f2:6dff:fe12:3456%en0 UGcg en0". Gateways that are
 * "link#6", a MAC, or on a VPN tunnel interface are skipped.
 */
export function parseNetstatRn(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'default' || f.length < 4) continue;
    const [, gw, flags] = f;
    // Before macOS 10.13 "Refs" and "Use" columns stood between Flags and Netif.
    const netif = f.slice(3).find((t) => !/^\d+$/.test(t)) ?? '';
    if (!flags!.includes('G') || MAC_TUNNEL.test(netif)) continue;
    const addr = gw!.split('%')[0]!;
    if (isIP(addr) === 0) continue;
    // A bare "fe80::%utun0" names an interface, not a host.
    if (addr === 'fe80::') continue;
    out.push(canonicalAddress(addr));
  }
  return unique(out);
}

/**
 * Windows `route print`: the "IPv4 Route Table" rows "0.0.0.0 0.0.0.0 192.168.1.1 192.168.1.10 35"
 * (destination,
 * netmask, gateway, interface, metric) and the "IPv6 Route Table" rows "11 51 ::/0 fe80::1" (interface index,
 * metric, destination, gateway; a long destination pushes the gateway onto the next line). Matched by shape,
 * so localised headings do not matter; IPv4 "Persistent Routes" rows (4 columns) are not active routes.
 */
export function parseRoutePrint(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length === 5 && f[0] === '0.0.0.0' && f[1] === '0.0.0.0' && isIP(f[3]!) === 4) {
      if (isIP(f[2]!) === 4) out.push(canonicalAddress(f[2]!));
      continue;
    }
    if (f.length >= 3 && /^\d+$/.test(f[0]!) && /^\d+$/.test(f[1]!) && f[2] === '::/0') {
      const gw = f[3] ?? lines[i + 1]?.trim() ?? '';
      if (ipv6Bytes(gw)) out.push(canonicalAddress(gw));
    }
  }
  return unique(out);
}
