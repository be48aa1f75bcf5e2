/**
 * Lease files written to each daemon's own format: dnsmasq's as src/lease.c (lease_update_file) writes it,
 * ISC dhcpd's as dhcpd.leases(5) describes and isc-dhcp 4.4 writes it, odhcpd's state file as its
 * statefiles.c / dhcpv6-ia.c write it (the MAC as 12 hex digits, or as ether_ntoa prints it) and its hosts
 * file /tmp/hosts/odhcpd. test/integration/import-leases.test.ts reads the file of a real dnsmasq.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyLeases, leaseFormat, macOfDuid, parseLeases, saveLeaseNames } from './leases';
import { mutate, seeded } from './test-support';
import { ImportError } from './types';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/import/leases');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const LAPTOP = '3c:22:fb:12:34:56';
const PRINTER = '00:1e:0b:aa:bb:cc';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('DHCP leases', () => {
  it('reads dnsmasq.leases: IPv4 leases by MAC, IPv6 leases by the MAC in the client DUID', () => {
    const text = fixture('dnsmasq.leases');
    expect(leaseFormat(text)).toBe('dnsmasq');
    expect(parseLeases(text, 'dnsmasq.leases')).toEqual([
      { address: '192.168.1.23', mac: LAPTOP, name: 'laptop' },
      { address: '192.168.1.50', mac: PRINTER, name: '' },
      // Not Ethernet (hardware type 6): no MAC.
      { address: '192.168.1.60', mac: '', name: 'token-ring' },
      { address: 'fd00::23', mac: LAPTOP, name: 'laptop' },
    ]);
  });

  it('reads dhcpd.leases: the last block for an address wins; DHCPv6 blocks give no MAC and are passed over', () => {
    const text = fixture('dhcpd.leases');
    expect(leaseFormat(text)).toBe('dhcpd');
    expect(parseLeases(text, 'dhcpd.leases')).toEqual([
      { address: '192.168.1.50', mac: PRINTER, name: 'printer' },
      { address: '192.168.1.23', mac: LAPTOP, name: 'laptop' },
    ]);
  });

  it('reads odhcpd’s state file and its hosts file', () => {
    const state = fixture('odhcpd.state');
    expect(leaseFormat(state)).toBe('odhcpd');
    expect(parseLeases(state, 'odhcpd')).toEqual([
      { address: '192.168.1.23', mac: LAPTOP, name: 'laptop' },
      { address: '192.168.1.50', mac: PRINTER, name: 'printer' },
      { address: 'fd00::23', mac: LAPTOP, name: 'laptop' },
      // DUID-UUID: no MAC in it; "-": no host name; both addresses of the lease.
      { address: 'fd00::50', mac: '', name: '' },
      { address: 'fd00::51', mac: '', name: '' },
    ]);
    const hosts = fixture('odhcpd.hosts');
    expect(leaseFormat(hosts)).toBe('hosts');
    expect(parseLeases(hosts, 'odhcpd')).toEqual([
      { address: '192.168.1.23', mac: '', name: 'laptop' },
      { address: 'fd00::23', mac: '', name: 'laptop' },
      { address: '192.168.1.50', mac: '', name: 'printer' },
    ]);
  });

  it('takes the MAC out of DUID-LLT and DUID-LL only (RFC 8415 §11)', () => {
    expect(macOfDuid('00:01:00:01:2c:9c:fa:37:3c:22:fb:12:34:56')).toBe(LAPTOP);
    expect(macOfDuid('000300013c22fb123456')).toBe(LAPTOP);
    expect(macOfDuid('0002000000090c0d0e0f')).toBe('');
    expect(macOfDuid('*')).toBe('');
  });

  it('names a damaged line and the daemon in one line', () => {
    expect(() => parseLeases(`${fixture('dnsmasq.leases')}1795200000 oops\n`, 'dnsmasq.leases')).toThrow(
      'dnsmasq leases dnsmasq.leases line 6: not a dnsmasq lease line ("EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID")',
    );
    expect(() => parseLeases('lease 192.168.1.5 {\n  hardware ethernet 3c:22:fb:12:34:56;\n', 'd')).toThrow(
      'ISC dhcpd leases d line 1: a block that does not end',
    );
    expect(() => parseLeases('lease banana {\n}\n', 'd')).toThrow('line 1: "banana" is not an IP address');
    expect(() => parseLeases('hello world\n', 'notes.txt')).toThrow(
      'DHCP leases notes.txt: not a lease file of dnsmasq, ISC dhcpd or odhcpd, nor a hosts file',
    );
  });

  it('fuzz: damaged lease files give leases or one ImportError', () => {
    const rand = seeded(0x1ea5);
    const all = ['dnsmasq.leases', 'dhcpd.leases', 'odhcpd.state', 'odhcpd.hosts'].map(fixture);
    for (let i = 0; i < 400; i++) {
      const text = mutate(Buffer.from(all[i % all.length]!), rand).toString('utf8');
      try {
        for (const l of parseLeases(text, 'x'))
          expect(l.mac === '' || /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(l.mac)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(ImportError);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('names the import’s devices that asked, after what the source itself said', () => {
    const devices = new Map([['192.168.1.50', { mac: '', name: 'printer.lan' }]]);
    applyLeases(
      devices,
      parseLeases(fixture('dhcpd.leases'), 'd'),
      new Set(['192.168.1.50', '192.168.1.23']),
    );
    expect(Object.fromEntries(devices)).toEqual({
      '192.168.1.50': { mac: PRINTER, name: 'printer.lan' },
      '192.168.1.23': { mac: LAPTOP, name: 'laptop' },
    });
    const none = new Map<string, { mac: string; name: string }>();
    applyLeases(none, parseLeases(fixture('dhcpd.leases'), 'd'), new Set(['10.0.0.9']));
    expect(none.size).toBe(0);
  });

  it('names the data folder’s devices that have no name yet, by MAC', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dnsw-leases-'));
    dirs.push(dataDir);
    const first = await saveLeaseNames(dataDir, [{ address: '192.168.1.50', mac: PRINTER, name: 'printer' }]);
    expect(first).toEqual({ named: 1, notes: [], saved: true });
    // The printer keeps the name it has; the laptop gets one.
    const again = await saveLeaseNames(
      dataDir,
      parseLeases(fixture('dhcpd.leases'), 'd').map((l) => ({ ...l, name: l.name.toUpperCase() })),
    );
    expect(again).toEqual({ named: 1, notes: [], saved: true });
    expect(JSON.parse(await readFile(path.join(dataDir, 'devices.json'), 'utf8'))).toEqual({
      version: 1,
      byMac: { [PRINTER]: 'printer', [LAPTOP]: 'LAPTOP' },
      byAddress: {},
    });
  });
});
