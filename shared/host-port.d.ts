// Types for host-port.js (plain JavaScript so scripts/start.mjs can import it unbuilt).

/** 4 or 6 for an IP address literal (IPv6 with an optional zone id), else 0. Never throws. */
export function ipFamily(text: string): 0 | 4 | 6;

/**
 * "1.1.1.1", "1.1.1.1:5353", "[2606:4700::1111]:53", "::1", "fe80::1%eth0" → host and port; null when it
 * does not parse (host names included). Port 0 ("pick a free port") only when `allowZeroPort`. Never throws.
 */
export function parseHostPort(
  text: string,
  defaultPort: number,
  allowZeroPort?: boolean,
): { readonly host: string; readonly port: number } | null;
