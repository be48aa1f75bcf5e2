/**
 * The self-test: DNS Witness sends a real query to each of its own UDP listeners, the way a router would, and
 * checks that an upstream answered it. The name is under `test.` (RFC 6761 §6.2), which no resolver delegates, so
 * the expected answer is NXDOMAIN from the upstream and the test reveals nothing about the user.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ListenerStatus } from '@shared/events';
import { formatAddressPort } from '@shared/config';
import type { SelfTestResult } from '@shared/setup';
import { HEADER_SIZE, isResponse, rcodeName, rcodeOf } from '../dns/wire';

import { SELF_TEST_SUFFIX } from './self-test-name';

export { SELF_TEST_SUFFIX };

/** A fresh self-test name, e.g. "3f9a0c1d2e4b5a69.self-test.dns-witness.test". */
export function selfTestName(): string {
  return `${randomBytes(8).toString('hex')}.${SELF_TEST_SUFFIX}`;
}

/** A standard query (RD set, random ID) for `name`, type A, class IN (RFC 1035 §4.1). */
export function encodeQuery(name: string): Buffer {
  const labels = name.split('.');
  const out = Buffer.alloc(HEADER_SIZE + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  out.writeUInt16BE(randomBytes(2).readUInt16BE(0), 0);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  let pos = HEADER_SIZE;
  for (const l of labels) {
    out[pos++] = l.length;
    pos += out.write(l, pos, 'ascii');
  }
  out[pos++] = 0;
  out.writeUInt16BE(1, pos);
  out.writeUInt16BE(1, pos + 2);
  return out;
}

/** Where to send the query for a listener: its address, or loopback for a wildcard listener. */
export function targetOf(l: Pick<ListenerStatus, 'address'>): string {
  if (l.address === '0.0.0.0') return '127.0.0.1';
  if (l.address === '::') return '::1';
  return l.address;
}

/** Sends one query to `host:port` and waits up to `timeoutMs`; resolves with the reply or null. Never rejects. */
export function exchange(
  host: string,
  port: number,
  query: Buffer,
  timeoutMs: number,
): Promise<{ reply: Buffer; ms: number } | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const t0 = performance.now();
    let done = false;
    const finish = (v: { reply: Buffer; ms: number } | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('error', () => finish(null));
    socket.on('message', (msg) => {
      // Only the reply to our query (same ID); anything else on this ephemeral port is ignored.
      if (msg.length >= HEADER_SIZE && isResponse(msg) && msg.readUInt16BE(0) === query.readUInt16BE(0))
        finish({ reply: msg, ms: Math.round((performance.now() - t0) * 10) / 10 });
    });
    socket.send(query, port, host, (err) => {
      if (err) finish(null);
    });
  });
}

/** What the engine saw of a self-test query: who answered it. */
export interface SelfTestSeen {
  readonly upstream: string;
  readonly error: string;
}

/** Turns one exchange into the result line the assistant shows. */
export function selfTestResult(
  host: string,
  port: number,
  outcome: { reply: Buffer; ms: number } | null,
  seen: SelfTestSeen | undefined,
  timeoutMs: number,
): SelfTestResult {
  const where = formatAddressPort(host, port);
  if (!outcome)
    return {
      address: host,
      port,
      ok: false,
      rcode: '',
      latencyMs: 0,
      upstream: '',
      message: `No answer from ${where} within ${timeoutMs / 1000} s: the listener does not receive queries (a firewall rule on this computer?).`,
    };
  const rcode = rcodeName(rcodeOf(outcome.reply));
  const upstream = seen?.upstream ?? '';
  const ok = (rcode === 'NXDOMAIN' || rcode === 'NOERROR') && upstream !== '';
  const message = ok
    ? `${where} answered in ${outcome.ms} ms through ${upstream} (${rcode}, as expected for the test name).`
    : rcode === 'REFUSED'
      ? `${where} refused the query: this computer’s address is outside the allowed ranges.`
      : `${where} answers, but no upstream did (${seen?.error || rcode}): check the upstreams in Settings and this computer’s Internet connection.`;
  return { address: host, port, ok, rcode, latencyMs: outcome.ms, upstream, message };
}

/**
 * The self-test's line about the router itself: whether its own lookups arrive. Devices heard but never the
 * router means it answers its clients (or they ask us directly) while its own lookups go elsewhere: a
 * hard-coded resolver or DNS-over-TLS. null when no router is known or nothing was heard yet. Never throws.
 */
export function routerReachResult(
  routers: readonly string[],
  heard: ReadonlyMap<string, number>,
  isRouter: (address: string) => boolean,
): SelfTestResult | null {
  if (routers.length === 0 || heard.size === 0) return null;
  let router: [string, number] | null = null;
  let devices = 0;
  for (const [address, ts] of heard) {
    if (!isRouter(address)) devices++;
    else if (!router || ts > router[1]) router = [address, ts];
  }
  const line = { port: 53, rcode: '', latencyMs: 0, upstream: '' };
  if (router)
    return {
      ...line,
      address: router[0],
      ok: true,
      message: `The router’s own lookups arrive (${router[0]} asked at ${new Date(router[1]).toISOString().slice(11, 19)} UTC).`,
    };
  if (devices === 0) return null;
  return {
    ...line,
    address: routers[0]!,
    ok: false,
    message:
      `Queries from ${devices} ${devices === 1 ? 'device arrive' : 'devices arrive'}, but none from the router itself (${routers[0]}): ` +
      'it answers its own clients, yet its own lookups never reach DNS Witness, so it may use a hard-coded resolver or DNS-over-TLS. ' +
      'Try: set the router’s Internet/WAN DNS (not only the DHCP DNS) to this computer; turn off DNS-over-TLS or “encrypted DNS” in the router; restart it. ' +
      'If still nothing arrives, its own lookups cannot be seen here: block its outgoing ports 53 and 853 on an upstream firewall, or read its figures as a lower bound.',
  };
}
