import { describe, expect, it } from 'vitest';
import { NO_PROGRESS, type LanAddress } from '@shared/setup';
import { answeringLanAddress, captureStopped, checkCommand, routerPointed, routerTarget } from './setup-view';

const row = (address: string, state: LanAddress['state'], port = 53): LanAddress => ({
  iface: 'eth0',
  address,
  family: address.includes(':') ? 6 : 4,
  port,
  state,
  detail: '',
  holder: '',
});

describe('setup view helpers', () => {
  it('give the router an IPv4 address DNS Witness answers on at port 53', () => {
    expect(routerTarget([row('fd00::2', 'listening'), row('192.168.0.23', 'listening')])?.address).toBe(
      '192.168.0.23',
    );
    expect(routerTarget([row('192.168.0.23', 'listening', 5353), row('fd00::2', 'listening')])?.address).toBe(
      'fd00::2',
    );
    expect(routerTarget([row('192.168.0.23', 'denied')])?.address).toBe('192.168.0.23');
    expect(routerTarget([])).toBeNull();
  });

  it('know when the router may depend on this computer', () => {
    expect(routerPointed(NO_PROGRESS, false)).toBe(false);
    expect(routerPointed({ ...NO_PROGRESS, dhcpChanged: true }, false)).toBe(true);
    expect(routerPointed(NO_PROGRESS, true)).toBe(true);
    // The assistant used without ticking anything still counts.
    expect(routerPointed(NO_PROGRESS, false, true)).toBe(true);
    expect(routerPointed({ ...NO_PROGRESS, brand: 'tplink-archer' }, false)).toBe(true);
    expect(routerPointed({ ...NO_PROGRESS, done: true }, false)).toBe(false);
  });

  it('notice a capture that stopped', () => {
    const running = { id: 'a', state: 'running' as const, startedAt: 1, stoppedAt: 0, queries: 0 };
    expect(captureStopped(running, { ...running, state: 'stopped', stoppedAt: 2 })).toBe(true);
    expect(captureStopped(running, null)).toBe(true);
    expect(captureStopped(running, running)).toBe(false);
    expect(captureStopped(null, running)).toBe(false);
    expect(captureStopped({ ...running, state: 'stopped' }, null)).toBe(false);
  });
});

describe('answeringLanAddress and checkCommand', () => {
  const at = (address: string, state: LanAddress['state'], port = 53, family: 4 | 6 = 4): LanAddress => ({
    iface: 'eth0',
    address,
    family,
    port,
    state,
    detail: '',
    holder: '',
  });
  it('gives the router only a LAN address that answers on port 53, IPv4 first, never loopback', () => {
    expect(answeringLanAddress([at('127.0.0.1', 'listening'), at('192.168.0.23', 'free')])).toBeNull();
    expect(answeringLanAddress([at('192.168.0.23', 'listening', 5353)])).toBeNull();
    expect(
      answeringLanAddress([at('fd00::23', 'listening', 53, 6), at('192.168.0.23', 'listening')])?.address,
    ).toBe('192.168.0.23');
    expect(answeringLanAddress([at('fd00::23', 'listening', 53, 6)])?.address).toBe('fd00::23');
  });
  it('names the test command of the OS', () => {
    expect(checkCommand('linux', '192.168.0.23', 53)).toBe('dig @192.168.0.23 example.com');
    expect(checkCommand('darwin', '127.0.0.1', 5353)).toBe('dig @127.0.0.1 -p 5353 example.com');
    expect(checkCommand('win32', '192.168.0.23', 53)).toBe('nslookup example.com 192.168.0.23');
    expect(checkCommand('win32', '192.168.0.23', 5353)).toBe('nslookup -port=5353 example.com 192.168.0.23');
  });
});
