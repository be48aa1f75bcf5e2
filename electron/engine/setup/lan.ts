/**
 * This computer's LAN addresses and the state of the DNS port on each: DNS Witness listening there, its listener
 * failing (and why), or, for an address it does not use, whether a bind would work (a short probe).
 */
import dgram from 'node:dgram';
import type os from 'node:os';
import type { ListenerStatus } from '@shared/events';
import type { LanAddress, PortState } from '@shared/setup';
import type { BindFailure } from './diagnose';
import { covers, holderLabel, type SocketHolder } from './sockets';

export interface InterfaceAddress {
  readonly iface: string;
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * The addresses a router can reach: not loopback, not IPv6 link-local (those need a zone no router setting takes),
 * IPv4 first. Pure over `os.networkInterfaces()` output.
 */
export function lanAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [iface, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      out.push({ iface, address: a.address, family: a.family === 'IPv4' ? 4 : 6 });
    }
  }
  return out.sort((a, b) => a.family - b.family);
}

/** Tries to bind UDP `host:port` and lets it go at once; resolves with the errno code, "" when it worked. */
export function probeBind(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    // ipv6Only on a udp4 socket makes bind fail with EINVAL: only IPv6 gets it (so it does not take IPv4 too).
    const v6 = host.includes(':');
    const socket = dgram.createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code ?? 'EUNKNOWN');
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve('')));
  });
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** A listener of ours that serves `address` (bound to it, or to its family's wildcard). */
function ourListener(listeners: readonly ListenerStatus[], address: string): ListenerStatus | undefined {
  const v6 = address.includes(':');
  const serving = listeners.filter(
    (l) =>
      l.transport === 'udp' &&
      (l.address === address || (isWildcard(l.address) && l.address.includes(':') === v6)),
  );
  return serving.find((l) => l.state === 'listening') ?? serving[0];
}

const PROBE_TEXT: Record<string, { state: PortState; detail: string }> = {
  '': { state: 'free', detail: 'Free: DNS Witness does not listen here yet (add it in Settings).' },
  EADDRINUSE: { state: 'in-use', detail: 'In use by another program.' },
  EACCES: { state: 'denied', detail: 'Port 53 needs permission here (see below).' },
  EPERM: { state: 'denied', detail: 'Port 53 needs permission here (see below).' },
};

/**
 * One row per LAN address: our listener's state there, or the result of a probe bind on port 53. Probe failures
 * are returned too, so the diagnosis can explain them. Never rejects.
 */
export async function addressStates(
  addresses: readonly InterfaceAddress[],
  listeners: readonly ListenerStatus[],
  holders: readonly SocketHolder[],
  port = 53,
  probe: (host: string, port: number) => Promise<string> = probeBind,
): Promise<{ rows: LanAddress[]; probeFailures: BindFailure[] }> {
  const rows: LanAddress[] = [];
  const probeFailures: BindFailure[] = [];
  for (const a of addresses) {
    const holder = holders.find((h) => h.pid !== process.pid && covers(h, a.address));
    const holderText = holder ? holderLabel(holder) : '';
    const ours = ourListener(listeners, a.address);
    if (ours) {
      const listening = ours.state === 'listening';
      rows.push({
        ...a,
        port: ours.port,
        state: listening ? 'listening' : 'error',
        detail: listening
          ? ours.port === port
            ? 'DNS Witness answers here.'
            : `DNS Witness answers on port ${ours.port}: a router can only use port ${port}.`
          : ours.error,
        holder: listening ? '' : holderText,
      });
      continue;
    }
    const code = await probe(a.address, port);
    const known = PROBE_TEXT[code] ?? { state: 'unknown' as const, detail: `Cannot tell (${code}).` };
    if (code !== '') probeFailures.push({ host: a.address, port, transport: 'udp', code });
    rows.push({
      ...a,
      port,
      state: known.state,
      detail: known.state === 'in-use' && holderText ? `In use by ${holderText}.` : known.detail,
      holder: code === 'EADDRINUSE' ? holderText : '',
    });
  }
  return { rows, probeFailures };
}
