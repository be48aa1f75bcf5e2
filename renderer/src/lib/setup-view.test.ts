import { describe, expect, it } from 'vitest';
import { NO_PROGRESS, type LanAddress } from '@shared/setup';
import { captureStopped, routerPointed, routerTarget } from './setup-view';

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
