/**
 * Parsers for the neighbour tables (ARP for IPv4, NDP for IPv6) that each OS prints. Pure functions: text in,
 * entries out. They keep only complete entries that name one device: incomplete or failed entries, all-zero,
 * multicast and broadcast MACs are dropped. Addresses come out canonical, MACs lowercase with colons.
 */
import { canonicalAddress } from './address';
import { isDeviceMac, normalizeMac } from './mac';

/** One complete neighbour-table entry: this IP address is reachable at this hardware address. */
export interface Neighbour {
  readonly address: string;
  /** "aa:bb:cc:dd:ee:ff". */
  readonly mac: string;
  /** Interface name as the OS prints it ("wlp2s0", "en0", "0xb" on Windows); "" when not printed. */
  readonly iface: string;
}

function entry(address: string, mac: string, iface: string): Neighbour | null {
  const a = canonicalAddress(address);
  const m = normalizeMac(mac);
  return a && isDeviceMac(m) ? { address: a, mac: m, iface } : null;
}

function collect(text: string, parseLine: (line: string) => Neighbour | null): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split(/\r?\n/)) {
    const n = parseLine(line);
    if (n) out.push(n);
  }
  return out;
}

/**
 * States of the Linux neighbour state machine (include/uapi/linux/neighbour.h) that hold no usable address.
 */
const LINUX_UNUSABLE = new Set(['INCOMPLETE', 'FAILED', 'NONE']);

/**
 * Linux `ip neigh show` (iproute2, both families):
 * "192.168.1.1 dev wlp2s0 lladdr f4:f2:6d:12:34:56 REACHABLE", "fe80::1 dev eth0 lladdr … router STALE",
 * "192.168.1.80 dev wlp2s0 INCOMPLETE", "fd00::1 dev eth0 FAILED".
 */
export function parseIpNeigh(text: string): Neighbour[] {
  return collect(text, (line) => {
    const f = line.trim().split(/\s+/);
    const ll = f.indexOf('lladdr');
    if (ll < 0 || f.length < ll + 2) return null;
    if (f.some((w) => LINUX_UNUSABLE.has(w))) return null;
    const dev = f.indexOf('dev');
    return entry(f[0]!, f[ll + 1]!, dev >= 0 ? (f[dev + 1] ?? '') : '');
  });
}

/** ATF_COM (include/uapi/linux/if_arp.h): the entry holds a resolved hardware address. */
const ATF_COM = 0x02;

/**
 * Linux `/proc/net/arp` (IPv4 only; net/ipv4/arp.c arp_format_neigh_entry):
 * "IP address       HW type     Flags       HW address            Mask     Device" then one row per entry.
 */
export function parseProcArp(text: string): Neighbour[] {
  return collect(text, (line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !f[2]!.startsWith('0x')) return null;
    if ((parseInt(f[2]!, 16) & ATF_COM) === 0) return null;
    return entry(f[0]!, f[3]!, f[5]!);
  });
}

/**
 * macOS `arp -an` (and FreeBSD): "? (192.168.1.1) at f4:f2:6d:12:34:56 on en0 ifscope [ethernet]",
 * "? (192.168.1.80) at (incomplete) on en0 ifscope [ethernet]"; octets lose leading zeros ("0:1b:21:3:4:5").
 */
export function parseArpAn(text: string): Neighbour[] {
  return collect(text, (line) => {
    const m = /^\S+ \(([^)]+)\) at (\S+) on (\S+)/.exec(line.trim());
    return m ? entry(m[1]!, m[2]!, m[3]!) : null;
  });
}

/**
 * macOS `ndp -an`: a header "Neighbor Linklayer Address Netif Expire St Flgs Prbs", then
 * "fe80::f6f2:6dff:fe12:3456%en0 f4:f2:6d:12:34:56 en0 17s R R"; "(incomplete)" when unresolved.
 */
export function parseNdpAn(text: string): Neighbour[] {
  return collect(text, (line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0] === 'Neighbor') return null;
    return entry(f[0]!, f[1]!, f[2]!);
  });
}

/**
 * Windows `arp -a`: blocks headed "Interface: 192.168.1.10 --- 0xb", rows
 * "  192.168.1.1           f4-f2-6d-12-34-56     dynamic". Matched by shape, not by the (localised) words.
 */
export function parseWindowsArp(text: string): Neighbour[] {
  let iface = '';
  return collect(text, (line) => {
    const head = /^\S.*?:\s+\S+\s+-{3}\s+(0x[0-9a-f]+)/i.exec(line);
    if (head) {
      iface = head[1]!;
      return null;
    }
    const m = /^\s+(\d{1,3}(?:\.\d{1,3}){3})\s+([0-9a-f]{2}(?:-[0-9a-f]{2}){5})\s/i.exec(line + ' ');
    return m ? entry(m[1]!, m[2]!, iface) : null;
  });
}

/**
 * Windows `netsh interface ipv6 show neighbors`: blocks headed "Interface 11: Wi-Fi", rows
 * "fe80::f6f2:6dff:fe12:3456                     f4-f2-6d-12-34-56  Stale (Router)"; unresolved rows have no
 * or an all-zero physical address.
 */
export function parseNetshNeighbors(text: string): Neighbour[] {
  let iface = '';
  return collect(text, (line) => {
    const head = /^\S[^:]*?\s(\d+):\s/.exec(line);
    if (head && !line.includes('::')) {
      iface = head[1]!;
      return null;
    }
    const f = line.trim().split(/\s+/);
    return f.length >= 3 && f[0]!.includes(':') ? entry(f[0]!, f[1]!, iface) : null;
  });
}
