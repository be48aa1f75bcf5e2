import { describe, expect, it } from 'vitest';
import type { ListenerStatus } from '@shared/events';
import { endpoints, isLoopback, setupAdvice } from './status-summary';
import { engineStatus } from './test-events';

const listener = (address: string, port: number, transport: 'udp' | 'tcp', error = ''): ListenerStatus => ({
  address,
  port,
  transport,
  state: error ? 'error' : 'listening',
  error,
});

describe('endpoints', () => {
  it('groups transports per address and port and lists broken ones last', () => {
    const list = endpoints([
      listener('192.168.1.20', 53, 'udp', 'port 53 needs privileges: run as root or use --listen :5353'),
      listener('192.168.1.20', 53, 'tcp', 'ignored second message'),
      listener('127.0.0.1', 53, 'udp'),
      listener('127.0.0.1', 53, 'tcp'),
      listener('::1', 53, 'udp'),
    ]);
    expect(list.map((e) => [e.label, e.transports.join('+'), e.ok])).toEqual([
      ['127.0.0.1:53', 'UDP+TCP', true],
      ['[::1]:53', 'UDP', true],
      ['192.168.1.20:53', '', false],
    ]);
    expect(list[2]?.error).toMatch(/^port 53 needs privileges/);
  });
});

describe('setupAdvice', () => {
  const status = (listeners: ListenerStatus[]) => ({ ...engineStatus(0), listeners });

  it('prefers a LAN address on port 53', () => {
    const advice = setupAdvice(
      status([
        listener('127.0.0.1', 53, 'udp'),
        listener('192.168.1.20', 53, 'udp'),
        listener('192.168.1.20', 53, 'tcp'),
      ]),
    );
    expect(advice).toEqual({ address: '192.168.1.20', port: 53, loopbackOnly: false, unusualPort: false });
  });

  it('says when only this computer can reach the forwarder, or the port is not 53', () => {
    expect(setupAdvice(status([listener('127.0.0.1', 5353, 'udp')]))).toEqual({
      address: '127.0.0.1',
      port: 5353,
      loopbackOnly: true,
      unusualPort: true,
    });
    expect(setupAdvice(status([listener('0.0.0.0', 53, 'udp')])).address).toBeNull();
    expect(setupAdvice(null)).toEqual({ address: null, port: null, loopbackOnly: false, unusualPort: false });
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
