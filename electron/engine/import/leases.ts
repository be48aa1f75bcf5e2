/**
 * DHCP lease files, read for the MAC and host name they give each address: dnsmasq's `dnsmasq.leases`, ISC
 * dhcpd's `dhcpd.leases`, and OpenWrt's odhcpd (its state file, and the hosts file `/tmp/hosts/odhcpd`).
 * They name the devices of an import (`--leases`), and the device names of the data folder: a MAC without a
 * name there gets the lease's host name, as if the user had typed it (devices/names.ts).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SourceFile } from '@shared/events';
import { describeFsError } from '../capture/journal';
import { lockDataDir } from '../data-lock';
import { canonicalAddress } from '../devices/address';
import { isDeviceMac, normalizeMac } from '../devices/mac';
import { NameStore, validateName } from '../devices/names';
import { ImportError } from './types';

/** A lease file is a table of the LAN, far smaller than this; a bigger file is not one. */
const MAX_LEASE_BYTES = 64 << 20;

/** What a lease says of one address: its MAC and host name, either "" when it gives none. */
export interface LeaseDevice {
  readonly address: string;
  readonly mac: string;
  readonly name: string;
}

export type LeaseFormat = 'dnsmasq' | 'dhcpd' | 'odhcpd' | 'hosts';

const LABELS: Record<LeaseFormat, string> = {
  dnsmasq: 'dnsmasq leases',
  dhcpd: 'ISC dhcpd leases',
  odhcpd: 'odhcpd state file',
  hosts: 'odhcpd hosts file',
};

/** A host name as a device name: "" for none ("*", "-"), invalid ones (control characters, too long). */
function hostName(text: string): string {
  if (text === '*' || text === '-' || text === '') return '';
  try {
    return validateName(text);
  } catch {
    return '';
  }
}

/** A MAC that names one device, normalised; "" otherwise. */
function deviceMac(text: string): string {
  const mac = normalizeMac(text);
  return isDeviceMac(mac) ? mac : '';
}

/**
 * The MAC inside a DHCPv6 client DUID (RFC 8415 §11.2, §11.4): DUID-LLT (type 1) and DUID-LL (type 3) with
 * hardware type 1 (Ethernet) end in it. "" for other DUIDs. Takes hex with or without colons.
 */
export function macOfDuid(duid: string): string {
  const hex = duid.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return '';
  const at =
    hex.startsWith('00010001') && hex.length === 28
      ? 16
      : hex.startsWith('00030001') && hex.length === 20
        ? 8
        : -1;
  if (at < 0) return '';
  return deviceMac(hex.slice(at).replace(/(..)(?!$)/g, '$1:'));
}

/**
 * dnsmasq's lease file (src/lease.c, lease_update_file): `EXPIRY MAC IPv4 HOSTNAME CLIENT-ID` per DHCPv4
 * lease, the MAC prefixed with "TYPE-" when not Ethernet; then `duid SERVER-DUID` and `EXPIRY [T]IAID IPv6
 * HOSTNAME CLIENT-DUID` per DHCPv6 lease. "*" is none.
 */
function dnsmasqLine(line: string): LeaseDevice | null | 'skip' {
  if (line.startsWith('duid ')) return 'skip';
  const f = line.split(' ');
  if (f.length !== 5 || !/^\d+$/.test(f[0]!)) return null;
  const address = canonicalAddress(f[2]!);
  if (address === '') return null;
  const mac = address.includes(':') ? macOfDuid(f[4]!) : deviceMac(f[1]!);
  return { address, mac, name: hostName(f[3]!) };
}

/**
 * odhcpd's state file (src/dhcpv6-ia.c, statefiles.c): `# IFACE HWADDR ipv4 HOSTNAME VALID ADDRHEX 32
 * ADDR/32` per DHCPv4 lease (the MAC as 12 hex digits or ether_ntoa's "3c:22:fb:12:34:56"), and `# IFACE
 * DUID IAID HOSTNAME VALID ASSIGNED LENGTH ADDR/LEN…` per DHCPv6 lease. "broken\x20" marks a host name
 * odhcpd would not use; "-" is none.
 */
function odhcpdLine(line: string): LeaseDevice[] | null {
  const f = line.split(' ');
  if (f[0] !== '#' || f.length < 8 || !/^-?\d+$/.test(f[5]!)) return null;
  const name = f[4]!.startsWith('broken\\x20') ? '' : hostName(f[4]!);
  const v4 = f[3] === 'ipv4';
  const hw = f[2]!;
  const mac = v4
    ? deviceMac(/^[0-9a-fA-F]{12}$/.test(hw) ? hw.replace(/(..)(?!$)/g, '$1:') : hw)
    : macOfDuid(hw);
  const out: LeaseDevice[] = [];
  for (const a of f.slice(8)) {
    const address = canonicalAddress(a.split('/')[0]!);
    if (address !== '') out.push({ address, mac, name });
  }
  return out;
}

/** A hosts file (odhcpd writes /tmp/hosts/odhcpd): `ADDRESS NAME…`, the last name the short host name. */
function hostsLine(line: string): LeaseDevice | null {
  const f = line.split(/\s+/);
  const address = canonicalAddress(f[0]!);
  if (address === '' || f.length < 2) return null;
  return { address, mac: '', name: hostName(f[f.length - 1]!) };
}

/**
 * ISC dhcpd's lease file (dhcpd.leases(5)): `lease ADDRESS { … hardware ethernet MAC; client-hostname
 * "NAME"; … }` blocks, appended as leases change, so a later block for an address replaces an earlier one.
 * DHCPv6 `ia-na` blocks give no MAC and are passed over, as are `host`, `failover` and `server-duid`.
 */
function readDhcpd(text: string, fail: (line: number, why: string) => never): LeaseDevice[] {
  const out = new Map<string, LeaseDevice>();
  const lines = text.split('\n');
  let current: { address: string; mac: string; name: string; line: number } | null = null;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (depth === 0) {
      const m = /^lease\s+(\S+)\s*\{$/.exec(line);
      if (m) {
        const address = canonicalAddress(m[1]!);
        if (address === '') fail(i + 1, `"${m[1]}" is not an IP address`);
        current = { address, mac: '', name: '', line: i + 1 };
        depth = 1;
      } else if (/\{$/.test(line)) depth = 1;
      else if (!/;$/.test(line)) fail(i + 1, 'not a dhcpd.leases statement');
      continue;
    }
    if (line.endsWith('{')) depth++;
    else if (line === '}') {
      depth--;
      if (depth === 0 && current !== null) {
        out.set(current.address, { address: current.address, mac: current.mac, name: current.name });
        current = null;
      }
    } else if (current !== null && depth === 1) {
      const hw = /^hardware\s+ethernet\s+([0-9a-fA-F:]+);$/.exec(line);
      if (hw) current.mac = deviceMac(hw[1]!);
      const host = /^client-hostname\s+"((?:[^"\\]|\\.)*)";$/.exec(line);
      if (host) current.name = hostName(host[1]!);
    }
  }
  if (depth !== 0) fail(current?.line ?? lines.length, 'a block that does not end');
  return [...out.values()];
}

/** Which daemon wrote `text`, from its first lines; null when none of them did. */
export function leaseFormat(text: string): LeaseFormat | null {
  if (/^\s*(lease|ia-na|ia-ta|ia-pd|server-duid|authoring-byte-order)\b/m.test(text)) return 'dhcpd';
  for (const raw of text.split('\n', 50)) {
    const line = raw.trim();
    if (line === '') continue;
    if (odhcpdLine(line) !== null) return 'odhcpd';
    if (dnsmasqLine(line) !== null) return 'dnsmasq';
    if (hostsLine(line) !== null) return 'hosts';
    if (!line.startsWith('#')) return null;
  }
  return null;
}

/** The devices a lease file names, last word per address; throws ImportError naming the first bad line. */
export function parseLeases(text: string, file: string): LeaseDevice[] {
  const format = leaseFormat(text);
  if (format === null)
    throw new ImportError(
      `DHCP leases ${file}`,
      '',
      'not a lease file of dnsmasq, ISC dhcpd or odhcpd, nor a hosts file',
    );
  const label = `${LABELS[format]} ${file}`;
  function fail(line: number, why: string): never {
    throw new ImportError(label, `line ${line}`, why);
  }
  if (format === 'dhcpd') return readDhcpd(text, fail);
  // Per address, what a later line gives wins; a line without a MAC or name keeps the earlier one's.
  const out = new Map<string, LeaseDevice>();
  const put = (d: LeaseDevice): void => {
    const known = out.get(d.address);
    out.set(d.address, {
      address: d.address,
      mac: d.mac || known?.mac || '',
      name: d.name || known?.name || '',
    });
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (format === 'dnsmasq') {
      const r = dnsmasqLine(line);
      if (r === null) fail(i + 1, 'not a dnsmasq lease line ("EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID")');
      if (r !== 'skip') put(r);
      continue;
    }
    // odhcpd's state file holds "# …" lease lines, and in older odhcpd also the hosts lines it writes.
    if (line.startsWith('#')) {
      for (const d of odhcpdLine(line) ?? []) put(d);
      continue;
    }
    const r = hostsLine(line.trim());
    if (r === null)
      fail(
        i + 1,
        format === 'odhcpd'
          ? 'not an odhcpd lease line ("# IFACE DUID IAID HOSTNAME VALID …")'
          : 'not a hosts line ("ADDRESS NAME")',
      );
    put(r);
  }
  return [...out.values()];
}

/** Reads and parses each lease file; throws ImportError for a missing, huge or damaged one. */
export async function readLeases(paths: readonly string[]): Promise<LeaseDevice[]> {
  return (await readLeaseFiles(paths)).devices;
}

/**
 * Reads and parses each lease file, and says what was read of each (name, size, SHA-256 of the bytes parsed)
 * for the provenance. Throws ImportError for a missing, huge or damaged one.
 */
export async function readLeaseFiles(
  paths: readonly string[],
): Promise<{ devices: LeaseDevice[]; files: SourceFile[] }> {
  const devices: LeaseDevice[] = [];
  const files: SourceFile[] = [];
  for (const path of paths) {
    const file = basename(path);
    let bytes: Buffer;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new ImportError(`DHCP leases ${path}`, '', 'not a file');
      if (s.size > MAX_LEASE_BYTES)
        throw new ImportError(`DHCP leases ${file}`, '', `${s.size} bytes: too big for a lease file`);
      bytes = await readFile(path);
    } catch (err) {
      if (err instanceof ImportError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new ImportError(
        `DHCP leases ${path}`,
        '',
        code === 'ENOENT' ? 'no such file' : `cannot be read: ${describeFsError(err).text}`,
      );
    }
    devices.push(...parseLeases(bytes.toString('utf8'), file));
    files.push({
      name: file,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return { devices, files };
}

/**
 * Gives the import's devices the MACs and names the leases know, for the addresses in `clients` (those that
 * asked a query): what the source itself said comes first. Later leases win over earlier ones.
 */
export function applyLeases(
  devices: Map<string, { mac: string; name: string }>,
  leases: readonly LeaseDevice[],
  clients: ReadonlySet<string>,
): void {
  for (const lease of leases) {
    if (!clients.has(lease.address)) continue;
    const known = devices.get(lease.address);
    devices.set(lease.address, {
      mac: known?.mac || lease.mac,
      name: known?.name || lease.name,
    });
  }
}

/**
 * Names, in the data folder's device names, each leased MAC that has no name there yet, with its host name.
 * Only when no DNS Witness holds the folder (two writers of devices.json would lose one's change); otherwise
 * returns a note saying so (`saved` false). Returns the notes for the user and how many devices were named.
 */
export async function saveLeaseNames(
  dataDir: string,
  leases: readonly LeaseDevice[],
): Promise<{ named: number; notes: string[]; saved: boolean }> {
  const named = leases.filter((l) => l.mac !== '' && l.name !== '');
  if (named.length === 0) return { named: 0, notes: [], saved: true };
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(dataDir);
  } catch (err) {
    return {
      named: 0,
      saved: false,
      notes: [
        `the device names from the leases were not saved: ${(err as Error).message.split(';')[0]}; they are in the capture's devices`,
      ],
    };
  }
  try {
    const warnings: string[] = [];
    const names = await NameStore.load(dataDir, (m) => warnings.push(m));
    let count = 0;
    for (const l of named) {
      if (names.nameFor(l.mac, l.address) !== '') continue;
      await names.set(l.mac, l.address, l.name);
      count++;
    }
    return { named: count, notes: warnings, saved: true };
  } finally {
    await unlock();
  }
}
