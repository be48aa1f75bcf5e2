/**
 * The port-53 advice built from real failures: an EADDRINUSE produced by binding the same address twice, and
 * socket tables recorded from real `ss` output (see sockets.test.ts for how the samples were made). The advice
 * for a real EACCES needs root to produce it: test/integration/port53-privilege.test.ts.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBindError } from '../dns/bind-errors';
import { diagnosePort53 } from './diagnose';
import { failureOf, LINUX_BASE } from './test-support';
import { parseSs } from './sockets';

const sample = (name: string) => readFileSync(join(import.meta.dirname, 'testdata', name), 'utf8');

/** A real EADDRINUSE: the second exclusive bind of one loopback port. */
async function eaddrinuse(): Promise<{ err: NodeJS.ErrnoException; port: number }> {
  const first = dgram.createSocket('udp4');
  await new Promise<void>((r) => first.bind({ port: 0, address: '127.0.0.1', exclusive: true }, r));
  const port = first.address().port;
  const second = dgram.createSocket('udp4');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    second.once('error', resolve);
    second.bind({ port, address: '127.0.0.1', exclusive: true });
  });
  second.close();
  first.close();
  return { err, port };
}

describe('conflict messages from a real EADDRINUSE and recorded socket tables', () => {
  it('systemd-resolved on its stub addresses is explained, not blamed, while DNS Witness uses the LAN address', () => {
    const holders = parseSs(sample('linux-ss-lunp-resolved-dnsmasq.txt'));
    const advice = diagnosePort53({ ...LINUX_BASE, holders });
    const resolved = advice.find((a) => a.id === 'systemd-resolved')!;
    expect(resolved.severity).toBe('info');
    expect(resolved.text).toContain('systemd-resolve (pid 5728) holds 127.0.0.53:53, 127.0.0.54:53 only');
    expect(resolved.commands).toEqual([]);
    // libvirt's dnsmasq on its own bridge is not in the way either.
    expect(advice.find((a) => a.id === 'dnsmasq')).toMatchObject({ severity: 'info' });
    expect(advice.some((a) => a.severity === 'error')).toBe(false);
  });

  it('listening on every address collides with resolved: the stub can be switched off', async () => {
    const { err } = await eaddrinuse();
    expect(err.code).toBe('EADDRINUSE');
    const holders = parseSs(sample('linux-ss-lunp-resolved-dnsmasq.txt'));
    const advice = diagnosePort53({
      ...LINUX_BASE,
      listen: [{ host: '0.0.0.0', port: 53 }],
      failures: [failureOf(err, '0.0.0.0', 53)],
      holders,
    });
    const resolved = advice.find((a) => a.id === 'systemd-resolved')!;
    expect(resolved.severity).toBe('warning');
    expect(resolved.commands).toContain('sudo systemctl restart systemd-resolved');
    expect(resolved.commands[1]).toContain('DNSStubListener=no');
  });

  it('a dnsmasq bound to every address is the error, with how to stop or confine it', async () => {
    const { err } = await eaddrinuse();
    const advice = diagnosePort53({
      ...LINUX_BASE,
      failures: [failureOf(err, '192.168.0.23', 53)],
      holders: parseSs(sample('linux-ss-lunp-dnsmasq-wildcard.txt')),
    });
    expect(advice[0]).toMatchObject({
      id: 'dnsmasq',
      severity: 'error',
      title: 'dnsmasq holds port 53 on every address',
    });
    expect(advice[0]!.text).toContain('dnsmasq (pid 5780) listens on 0.0.0.0:53, [::]:53');
    expect(advice[0]!.text).toContain('bind-interfaces');
    expect(advice[0]!.commands[0]).toBe('sudo systemctl stop dnsmasq');
    expect(advice.some((a) => a.id === 'port-in-use')).toBe(false);
  });

  it('a holder the OS does not name: how to find it', async () => {
    const { err, port } = await eaddrinuse();
    const advice = diagnosePort53({ ...LINUX_BASE, failures: [failureOf(err, '127.0.0.1', port)] });
    expect(advice[0]).toMatchObject({ id: 'port-in-use', severity: 'error' });
    expect(advice[0]!.text).toContain(`127.0.0.1:${port}`);
    expect(advice[0]!.commands).toEqual(["sudo ss -lunp 'sport = :53'"]);
    const line = describeBindError(err, '127.0.0.1', port, 'udp', 'dnsmasq (pid 5780)', 'linux');
    expect(line).toContain('already in use by dnsmasq (pid 5780)');
    expect(line).toContain('sudo systemctl stop dnsmasq');
  });

  it('Windows Internet Connection Sharing on every address is named by its service', async () => {
    const { err } = await eaddrinuse();
    const ics = {
      address: '0.0.0.0',
      port: 53,
      process: 'svchost.exe',
      pid: 3644,
      services: ['SharedAccess'],
    };
    const advice = diagnosePort53({
      ...LINUX_BASE,
      platform: 'win32',
      failures: [failureOf(err, '192.168.0.23', 53)],
      holders: [ics],
    });
    expect(advice[0]).toMatchObject({ id: 'windows-ics', severity: 'error' });
    expect(advice[0]!.text).toContain('svchost.exe (pid 3644, service SharedAccess) holds 0.0.0.0:53');
    expect(advice[0]!.commands).toEqual(['Stop-Service SharedAccess']);
    // On its own adapter only (Hyper-V Default Switch), it is just explained.
    const own = diagnosePort53({
      ...LINUX_BASE,
      platform: 'win32',
      holders: [{ ...ics, address: '172.20.0.1' }],
    });
    expect(own.find((a) => a.id === 'windows-ics')).toMatchObject({ severity: 'info', commands: [] });
  });

  it('our own sockets are never reported as a conflict', () => {
    const own = { address: '192.168.0.23', port: 53, process: 'node', pid: 4242, services: [] };
    expect(diagnosePort53({ ...LINUX_BASE, holders: [own], ownPid: 4242 })).toEqual([]);
  });
});
