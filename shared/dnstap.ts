/**
 * Where dnstap goes: `unix:PATH` (a reader's socket, e.g. `dnstap -u PATH`) or `tcp:HOST:PORT` (`dnstap -l`).
 * One parser for the flag, the Settings form and the engine. Pure: no Node, no DOM.
 */
import { parseHostPort } from './host-port';

export type DnstapTarget =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** The target `text` names, or null. A unix path must be absolute; a TCP target needs an IP address and a port. */
export function parseDnstapTarget(text: string): DnstapTarget | null {
  const t = text.trim();
  if (t.startsWith('unix:')) {
    const path = t.slice(5);
    if (!path.startsWith('/') || path.length > 104 || /\p{Cc}/u.test(path)) return null;
    return { kind: 'unix', path };
  }
  if (t.startsWith('tcp:')) {
    const rest = t.slice(4);
    if (!/:\d+$/.test(rest)) return null;
    const hp = parseHostPort(rest, 0);
    return hp ? { kind: 'tcp', host: hp.host, port: hp.port } : null;
  }
  return null;
}

/** The target as the flag and the form write it. */
export function formatDnstapTarget(t: DnstapTarget): string {
  if (t.kind === 'unix') return `unix:${t.path}`;
  return t.host.includes(':') ? `tcp:[${t.host}]:${t.port}` : `tcp:${t.host}:${t.port}`;
}

/** The one-line hint next to a bad entry. */
export const DNSTAP_TARGET_HINT = 'e.g. unix:/run/dnstap.sock or tcp:127.0.0.1:6000';
