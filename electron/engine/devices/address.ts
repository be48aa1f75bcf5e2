import { isIP } from 'node:net';
import { ipv6Text } from '../dns/wire';

/**
 * IPv6 text → 16 bytes; accepts "::" compression, an embedded IPv4 tail and a "%zone" (dropped).
 * Null when it does not parse. Never throws.
 */
export function ipv6Bytes(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  const t = zone < 0 ? text : text.slice(0, zone);
  if (isIP(t) !== 6) return null;
  const out = new Uint8Array(16);
  const halves = t.split('::');
  const groups = (part: string | undefined): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const o = g.split('.').map(Number);
        out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length > 1 ? groups(halves[1]) : [];
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = (all[i]! >> 8) & 0xff;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

/**
 * The one text form of an address, as Node reports client addresses: IPv4 dotted quad, IPv6 per RFC 5952
 * (lowercase, "::" for the longest zero run), zone dropped, IPv4-mapped IPv6 unwrapped. "" when not an
 * address.
 */
export function canonicalAddress(text: string): string {
  const t = text.trim();
  if (isIP(t) === 4) return t.split('.').map(Number).join('.');
  const b = ipv6Bytes(t);
  if (!b) return '';
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return ipv6Text(b, 0);
}

/**
 * RFC 1035 §3.5 (in-addr.arpa) and RFC 3596 §2.5 (ip6.arpa, one label per nibble) name; "" for non-addresses.
 */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const b = ipv6Bytes(address);
  if (!b) return '';
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((b[i]! & 0x0f).toString(16), (b[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** Loopback (127.0.0.0/8, ::1): this computer itself. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** Link-local (169.254.0.0/16, fe80::/10): never registered in the router's DNS. */
export function isLinkLocal(address: string): boolean {
  if (address.startsWith('169.254.')) return true;
  const b = isIP(address) === 6 ? ipv6Bytes(address) : null;
  return b !== null && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
