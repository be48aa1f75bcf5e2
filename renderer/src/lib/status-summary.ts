/** Turns engine status into the short facts the status bar and the setup guidance show. Pure. */
import type { EngineStatus, ListenerStatus } from '@shared/events';
import { formatHostPort } from './format';

/** One DNS endpoint with the transports that listen on it ("127.0.0.1:53", ["UDP", "TCP"]). */
export interface Endpoint {
  readonly label: string;
  readonly address: string;
  readonly port: number;
  readonly transports: readonly string[];
  readonly ok: boolean;
  /** Why a transport failed, "" when all listen. */
  readonly error: string;
}

/** Groups listeners by address and port, listening ones first. */
export function endpoints(listeners: readonly ListenerStatus[]): Endpoint[] {
  const byKey = new Map<
    string,
    { address: string; port: number; transports: string[]; ok: boolean; error: string }
  >();
  for (const l of listeners) {
    if (l.state === 'closed') continue;
    const key = formatHostPort(l.address, l.port);
    const entry = byKey.get(key) ?? { address: l.address, port: l.port, transports: [], ok: true, error: '' };
    if (l.state === 'listening') entry.transports.push(l.transport.toUpperCase());
    else {
      entry.ok = false;
      entry.error ||= l.error;
    }
    byKey.set(key, entry);
  }
  return [...byKey.entries()]
    .map(([label, e]) => ({ label, ...e, transports: e.transports.sort().reverse() }))
    .sort((a, b) => Number(b.ok) - Number(a.ok));
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
const WILDCARD = new Set(['0.0.0.0', '::']);

/** True for addresses only this computer can reach. */
export function isLoopback(address: string): boolean {
  return LOOPBACK.test(address);
}

/** What the empty state tells the user to enter in the router, and what stands in the way. */
export interface SetupAdvice {
  /** The address to give the router, or null when the engine listens only on all addresses. */
  readonly address: string | null;
  readonly port: number | null;
  /** True when only loopback listeners work, so no other device can reach this computer. */
  readonly loopbackOnly: boolean;
  /** True when the port is not 53, which routers cannot be told to use. */
  readonly unusualPort: boolean;
}

/** Picks the address a router should use: a working LAN listener first, then any working listener. */
export function setupAdvice(status: EngineStatus | null): SetupAdvice {
  const working = endpoints(status?.listeners ?? []).filter((e) => e.ok && e.transports.length > 0);
  const lan = working.find((e) => !isLoopback(e.address) && !WILDCARD.has(e.address));
  const wildcard = working.find((e) => WILDCARD.has(e.address));
  const any = lan ?? wildcard ?? working[0];
  return {
    address: any && !WILDCARD.has(any.address) ? any.address : null,
    port: any?.port ?? null,
    loopbackOnly: working.length > 0 && working.every((e) => isLoopback(e.address)),
    unusualPort: any !== undefined && any.port !== 53,
  };
}
