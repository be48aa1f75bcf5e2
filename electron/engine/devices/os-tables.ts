/**
 * Reads this computer's neighbour and routing tables with the tools each OS ships, and hands the text to the
 * pure parsers. Only fixed commands with fixed arguments run, never a shell.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { canonicalAddress } from './address';
import {
  parseIpRouteDefault,
  parseNetstatRn,
  parseProcIpv6Route,
  parseProcNetRoute,
  parseRoutePrint,
} from './gateways';
import { isDeviceMac, normalizeMac } from './mac';
import {
  parseArpAn,
  parseIpNeigh,
  parseNdpAn,
  parseNetshNeighbors,
  parseProcArp,
  parseWindowsArp,
  type Neighbour,
} from './neighbours';

const COMMAND_TIMEOUT_MS = 5000;

/** Runs a command and resolves with its stdout; rejects with "cmd: reason" when it cannot run or fails. */
function output(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024, windowsHide: true },
      (err, stdout) => {
        if (err) reject(new Error(`${cmd}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        else resolve(String(stdout));
      },
    );
  });
}

/** The first source that can be read; the error of the last one when none can. */
async function firstOf<T>(sources: readonly (() => Promise<T>)[]): Promise<T> {
  let last: unknown = new Error('no source');
  for (const s of sources) {
    try {
      return await s();
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/**
 * The OS neighbour tables (IPv4 and IPv6) plus this computer's own interface addresses with their MACs.
 * Rejects with a one-line reason when no table can be read.
 */
export async function readOsNeighbours(platform = process.platform): Promise<Neighbour[]> {
  let table: Neighbour[];
  switch (platform) {
    case 'linux':
      table = await firstOf([
        async () => parseIpNeigh(await output('ip', ['neigh', 'show'])),
        async () => parseProcArp(await readFile('/proc/net/arp', 'utf8')),
      ]);
      break;
    case 'darwin': {
      const [arp, ndp] = await Promise.allSettled([
        output('/usr/sbin/arp', ['-an']),
        output('/usr/sbin/ndp', ['-an']),
      ]);
      if (arp.status === 'rejected' && ndp.status === 'rejected') throw arp.reason;
      table = [
        ...(arp.status === 'fulfilled' ? parseArpAn(arp.value) : []),
        ...(ndp.status === 'fulfilled' ? parseNdpAn(ndp.value) : []),
      ];
      break;
    }
    case 'win32': {
      const [arp, netsh] = await Promise.allSettled([
        output('arp', ['-a']),
        output('netsh', ['interface', 'ipv6', 'show', 'neighbors']),
      ]);
      if (arp.status === 'rejected' && netsh.status === 'rejected') throw arp.reason;
      table = [
        ...(arp.status === 'fulfilled' ? parseWindowsArp(arp.value) : []),
        ...(netsh.status === 'fulfilled' ? parseNetshNeighbors(netsh.value) : []),
      ];
      break;
    }
    default:
      table = [];
  }
  return [...table, ...localNeighbours()];
}

/** This computer's own addresses: they are never in its neighbour table, but it can be a client too. */
export function localNeighbours(interfaces = os.networkInterfaces()): Neighbour[] {
  const out: Neighbour[] = [];
  for (const [iface, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      const mac = normalizeMac(a.mac);
      const address = canonicalAddress(a.address);
      if (!a.internal && address && isDeviceMac(mac)) out.push({ address, mac, iface });
    }
  }
  return out;
}

/**
 * This computer's default gateways, IPv4 then IPv6. Rejects with a one-line reason when no table can be read.
 */
export async function readOsGateways(platform = process.platform): Promise<string[]> {
  switch (platform) {
    case 'linux': {
      const [v4, v6] = await Promise.allSettled([
        readFile('/proc/net/route', 'utf8').then(parseProcNetRoute),
        firstOf([
          async () => parseIpRouteDefault(await output('ip', ['-6', 'route', 'show', 'default'])),
          async () => parseProcIpv6Route(await readFile('/proc/net/ipv6_route', 'utf8')),
        ]),
      ]);
      if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
      return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    }
    case 'darwin':
      return parseNetstatRn(await output('/usr/sbin/netstat', ['-rn']));
    case 'win32':
      return parseRoutePrint(await output('route', ['print']));
    default:
      return [];
  }
}
