import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  covers,
  holderLabel,
  parseLsof,
  parseNetstatAno,
  parseProcNetUdp,
  parseSs,
  parseTasklistSvc,
  portHolders,
} from './sockets';

/**
 * Linux samples were recorded on this project's Debian test machine in a network namespace: dnsmasq on
 * 192.168.122.1 (as libvirt runs it), a dnsmasq started under the name systemd-resolve on 127.0.0.53 and
 * 127.0.0.54 (resolved's stub addresses), and a stock dnsmasq bound to every address. The Windows and macOS
 * samples follow those tools' documented output (ICS's svchost on 0.0.0.0:53, mDNSResponder for Internet Sharing).
 */
const sample = (name: string) => readFileSync(join(import.meta.dirname, 'testdata', name), 'utf8');

describe('socket table parsers', () => {
  it('read `ss -Hlunp` with process names, addresses and pids', () => {
    expect(parseSs(sample('linux-ss-lunp-resolved-dnsmasq.txt'))).toEqual([
      { address: '127.0.0.53', port: 53, process: 'systemd-resolve', pid: 5728, services: [] },
      { address: '127.0.0.54', port: 53, process: 'systemd-resolve', pid: 5728, services: [] },
      { address: '192.168.122.1', port: 53, process: 'dnsmasq', pid: 5723, services: [] },
    ]);
    expect(parseSs(sample('linux-ss-lunp-dnsmasq-wildcard.txt'))).toEqual([
      { address: '0.0.0.0', port: 53, process: 'dnsmasq', pid: 5780, services: [] },
      { address: '::', port: 53, process: 'dnsmasq', pid: 5780, services: [] },
    ]);
    // systemd-resolved binds its stub to the loopback device: ss prints the zone; without root, no users:(…).
    expect(parseSs('UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:*\n')).toEqual([
      { address: '127.0.0.53', port: 53, process: '', pid: 0, services: [] },
    ]);
  });

  it('read /proc/net/udp and udp6 (kernel byte order) when ss is missing', () => {
    expect(parseProcNetUdp(sample('linux-proc-net-udp.txt'), 53).map((h) => h.address)).toEqual([
      '127.0.0.53',
      '127.0.0.54',
      '192.168.122.1',
    ]);
    expect(parseProcNetUdp(sample('linux-proc-net-udp6.txt'), 53).map((h) => h.address)).toEqual(['::']);
    expect(parseProcNetUdp(sample('linux-proc-net-udp.txt'), 5353)).toEqual([]);
    const loop6 =
      ' 1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 0 0 0 0 0 1 2 0 0';
    expect(parseProcNetUdp(loop6, 53)[0]?.address).toBe('::1');
  });

  it('read lsof (Linux and macOS) with its 9-character command names', () => {
    expect(parseLsof(sample('linux-lsof-udp53.txt'))).toEqual([
      { address: '192.168.122.1', port: 53, process: 'dnsmasq', pid: 5723, services: [] },
      { address: '127.0.0.54', port: 53, process: 'systemd-r', pid: 5728, services: [] },
      { address: '127.0.0.53', port: 53, process: 'systemd-r', pid: 5728, services: [] },
    ]);
    expect(parseLsof(sample('macos-lsof-udp53-internet-sharing.txt'))).toEqual([
      { address: '192.168.2.1', port: 53, process: 'mDNSRespo', pid: 412, services: [] },
      { address: 'fe80:14::1', port: 53, process: 'mDNSRespo', pid: 412, services: [] },
    ]);
  });

  it('read netstat -ano and tasklist /svc on Windows', () => {
    const holders = parseNetstatAno(sample('windows-netstat-ano-udp.txt'), 53);
    expect(holders.map((h) => `${h.address} ${h.pid}`)).toEqual([
      '0.0.0.0 3644',
      '127.0.0.1 5120',
      '192.168.137.1 3644',
      ':: 3644',
      'fe80::1c2d:3e4f:5a6b:7c8d 3644',
    ]);
    const names = parseTasklistSvc(sample('windows-tasklist-svc-sharedaccess.txt'));
    expect(names.get(3644)).toEqual({ process: 'svchost.exe', services: ['SharedAccess'] });
    expect(holderLabel({ ...holders[0]!, ...names.get(3644)! })).toBe(
      'svchost.exe (pid 3644, service SharedAccess)',
    );
  });

  it('know which addresses a socket covers', () => {
    const at = (address: string) => ({ address, port: 53, process: 'x', pid: 1, services: [] });
    expect(covers(at('0.0.0.0'), '192.168.0.23')).toBe(true);
    expect(covers(at('0.0.0.0'), 'fd00::23')).toBe(false);
    expect(covers(at('::'), 'fd00::23')).toBe(true);
    expect(covers(at('127.0.0.53'), '192.168.0.23')).toBe(false);
    expect(covers(at('192.168.0.23'), '192.168.0.23')).toBe(true);
  });

  it('ask the platform tool and merge tasklist names on Windows', async () => {
    const calls: string[] = [];
    const run = async (cmd: string, args: readonly string[]) => {
      calls.push(`${cmd} ${args.join(' ')}`);
      if (cmd === 'netstat') return args.includes('UDP') ? sample('windows-netstat-ano-udp.txt') : '';
      if (cmd === 'tasklist')
        return args.includes('PID eq 3644') ? sample('windows-tasklist-svc-sharedaccess.txt') : '';
      return null;
    };
    const holders = await portHolders(53, 'win32', run);
    expect(holders.find((h) => h.address === '0.0.0.0')).toMatchObject({
      process: 'svchost.exe',
      services: ['SharedAccess'],
    });
    expect(calls).toContain('tasklist /svc /fo csv /nh /fi PID eq 5120');
  });
});
