import { BlockList, isIP } from 'node:net';

/**
 * Sources that get answers by default: this machine and private networks only, so DNS Witness is never an
 * open resolver (RFC 5358). Loopback, RFC 1918, CGNAT (RFC 6598), link-local, IPv6 ULA (RFC 4193).
 */
export const DEFAULT_ALLOWED = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
] as const;

/** Parses "ADDR/PREFIX" (or a bare address); returns null when it is not a valid CIDR. Never throws. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const family = isIP(address);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family };
}

/** Strips an IPv4-mapped IPv6 prefix and an IPv6 zone, so one client has one address. */
export function normalizeAddress(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const zone = address.indexOf('%');
  return zone < 0 ? address : address.slice(0, zone);
}

/** Which client addresses may use the forwarder. Lookups are cached; `allows` never throws. */
export class AccessList {
  private readonly list = new BlockList();
  private readonly cache = new Map<string, boolean>();
  readonly ranges: readonly string[];

  /** Throws an Error naming the bad entry when a range does not parse. */
  constructor(ranges: readonly string[]) {
    for (const r of ranges) {
      const c = parseCidr(r);
      if (!c) throw new Error(`not an address range: "${r}" (expected e.g. 192.168.0.0/16 or fd00::/8)`);
      this.list.addSubnet(c.address, c.prefix, c.family === 4 ? 'ipv4' : 'ipv6');
    }
    this.ranges = [...ranges];
  }

  allows(address: string): boolean {
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit;
    const family = isIP(address);
    const ok =
      family === 4 ? this.list.check(address, 'ipv4') : family === 6 && this.list.check(address, 'ipv6');
    // Bounded: a scan from many sources must not grow memory.
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(address, ok);
    return ok;
  }
}

/** The default ranges plus `extra` (--allow, the saved ranges). Throws like the constructor. */
export function accessListWith(extra: readonly string[]): AccessList {
  return new AccessList([...DEFAULT_ALLOWED, ...extra]);
}

/** An `allows` that follows `extra()` (the ranges in effect), rebuilt only when they change. */
export function allowsFollowing(extra: () => readonly string[]): (address: string) => boolean {
  let built: { ranges: readonly string[]; list: AccessList } | null = null;
  return (address) => {
    const ranges = extra();
    if (built?.ranges !== ranges) built = { ranges, list: accessListWith(ranges) };
    return built.list.allows(address);
  };
}
