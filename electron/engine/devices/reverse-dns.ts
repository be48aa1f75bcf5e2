/**
 * Device names by reverse DNS: a PTR query (RFC 1035 §3.5, RFC 3596 §2.5) sent to the router, which knows the
 * names its DHCP server handed out. Never to the public upstreams: they know no LAN names, and a private
 * address's PTR query should not leave the network (RFC 6303).
 */
import * as dnsPacket from 'dns-packet';
import { NetworkUpstream, type Upstream, type UpstreamSpec } from '../dns/upstream';
import { RCODE, rcodeName, rcodeOf, readQuestion } from '../dns/wire';
import { reverseName } from './address';

/** How long a found name is trusted at least / at most, and how long "no name" is. */
export const PTR_MIN_TTL_MS = 5 * 60_000;
export const PTR_MAX_TTL_MS = 24 * 3600_000;
export const PTR_NEGATIVE_TTL_MS = 10 * 60_000;

/** The outcome of one reverse lookup. */
export interface PtrAnswer {
  /** Name without the trailing dot; "" when none. */
  readonly hostname: string;
  /** How long to keep this answer. */
  readonly ttlMs: number;
  /** Why no server gave an answer (timeout, REFUSED, …); "" when one answered, with a name or NXDOMAIN. */
  readonly error: string;
}

/** A PTR query for `address` (RD set, as any stub sends); null when `address` is not an IP address. */
export function ptrQuery(address: string): Buffer | null {
  const name = reverseName(address);
  if (!name) return null;
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'PTR', class: 'IN', name }],
  });
}

/**
 * Reads the PTR answer from a response: the first PTR record's name and its TTL clamped to
 * [PTR_MIN_TTL_MS, PTR_MAX_TTL_MS]. NOERROR without PTR and NXDOMAIN are "no name" (negative TTL); other
 * rcodes and undecodable responses are errors. Never throws.
 */
export function parsePtrResponse(response: Uint8Array): PtrAnswer {
  const negative = (error: string): PtrAnswer => ({ hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error });
  const rcode = response.length >= 12 ? rcodeOf(response) : -1;
  if (rcode === RCODE.NXDOMAIN) return negative('');
  if (rcode !== RCODE.NOERROR) return negative(rcode < 0 ? 'short response' : rcodeName(rcode));
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(Buffer.from(response));
  } catch {
    return negative('undecodable response');
  }
  for (const a of decoded.answers ?? []) {
    if (a.type !== 'PTR' || typeof a.data !== 'string' || a.data === '') continue;
    const ttlMs = Math.min(PTR_MAX_TTL_MS, Math.max(PTR_MIN_TTL_MS, (a.ttl ?? 0) * 1000));
    return { hostname: a.data.replace(/\.$/, ''), ttlMs, error: '' };
  }
  return negative('');
}

export { PTR_ECHO_GRACE_MS, PtrInFlight } from './ptr-in-flight';

export interface ReverseResolverOptions {
  /** Per server attempt. */
  readonly timeoutMs?: number;
  /** For tests: how an upstream is made from its spec. */
  readonly makeUpstream?: (spec: UpstreamSpec) => Upstream;
}

/**
 * Sends PTR queries over the project's UDP upstream class, one upstream per server, reused across lookups.
 */
export class ReverseResolver {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly timeoutMs: number;
  private readonly makeUpstream: (spec: UpstreamSpec) => Upstream;
  private closed = false;

  constructor(opts: ReverseResolverOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.makeUpstream = opts.makeUpstream ?? ((s) => new NetworkUpstream(s));
  }

  /**
   * Asks each server in turn until one answers (a name or a definite "none"); resolves with the last error
   * when none does. Never rejects.
   */
  async lookup(address: string, servers: readonly UpstreamSpec[]): Promise<PtrAnswer> {
    const query = ptrQuery(address);
    const question = query ? readQuestion(query) : null;
    if (!query || !question) return { hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error: 'not an address' };
    let error = 'no router to ask';
    for (const spec of servers) {
      if (this.closed) return { hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error: 'closed' };
      const upstream = this.upstreamFor(spec);
      const r = await upstream.exchangeUdp(query, question, this.timeoutMs);
      const answer = r.ok ? parsePtrResponse(r.response) : null;
      if (answer && answer.error === '') return answer;
      error = `${upstream.address}: ${r.ok ? answer!.error : r.error}`;
    }
    return { hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error };
  }

  /** Closes the upstreams of servers no longer in `servers`. */
  retain(servers: readonly UpstreamSpec[]): void {
    const keep = new Set(servers.map((s) => `${s.host}|${s.port}`));
    for (const [key, u] of this.upstreams) {
      if (keep.has(key)) continue;
      u.close();
      this.upstreams.delete(key);
    }
  }

  close(): void {
    this.closed = true;
    for (const u of this.upstreams.values()) u.close();
    this.upstreams.clear();
  }

  private upstreamFor(spec: UpstreamSpec): Upstream {
    const key = `${spec.host}|${spec.port}`;
    let u = this.upstreams.get(key);
    if (!u) {
      u = this.makeUpstream(spec);
      this.upstreams.set(key, u);
    }
    return u;
  }
}
