import { describe, expect, it } from 'vitest';
import { DEVICE_NAME_MAX, deviceLabel, deviceName, unknownDevice } from './devices';
import { parseRequestArgs } from './contract';

describe('device names', () => {
  it('prefer the user’s name, then the hostname, then (for a label) the address', () => {
    const d = unknownDevice('192.168.1.7');
    expect(deviceName(d)).toBe('');
    expect(deviceLabel(d)).toBe('192.168.1.7');
    expect(deviceLabel({ ...d, hostname: 'office-pc.lan' })).toBe('office-pc.lan');
    expect(deviceName({ ...d, hostname: 'office-pc.lan', name: 'Office' })).toBe('Office');
    expect(deviceLabel({ ...d, hostname: 'office-pc.lan', name: 'Office' })).toBe('Office');
  });
});

describe('device:rename arguments', () => {
  const rename = (args: unknown) => parseRequestArgs('device:rename', args);

  it('trim the name and accept up to 64 characters, counting an emoji as one', () => {
    expect(rename({ address: '192.168.1.7', name: '  Anna’s phone \u00a0' })).toEqual({
      address: '192.168.1.7',
      name: 'Anna’s phone',
    });
    const emoji = '📺'.repeat(DEVICE_NAME_MAX);
    expect(rename({ address: 'fd00::7', name: emoji }).name).toBe(emoji);
    expect(rename({ address: '192.168.1.7', name: '' }).name).toBe('');
  });

  it('refuse a long name, control characters and a non-address with a message for the user', () => {
    expect(() => rename({ address: '192.168.1.7', name: 'x'.repeat(DEVICE_NAME_MAX + 1) })).toThrow(
      'invalid arguments for device:rename at name: A device name can have at most 64 characters.',
    );
    expect(() => rename({ address: '192.168.1.7', name: 'a\tb' })).toThrow(
      'invalid arguments for device:rename at name: A device name cannot contain control characters (tabs, line breaks).',
    );
    expect(() => rename({ address: '192.168.1.7', name: 'a\u0085b' })).toThrow(/control characters/);
    expect(() => rename({ address: 'office-pc', name: 'x' })).toThrow(
      'invalid arguments for device:rename at address: not an IP address',
    );
    expect(() => rename({ address: '192.168.1.7', name: 'x', extra: 1 })).toThrow(/invalid arguments/);
  });

  it('set-routers takes a short list of addresses', () => {
    expect(parseRequestArgs('device:set-routers', { addresses: ['192.168.1.1', 'fd00::1'] })).toEqual({
      addresses: ['192.168.1.1', 'fd00::1'],
    });
    expect(parseRequestArgs('device:set-routers', { addresses: [] })).toEqual({ addresses: [] });
    expect(() => parseRequestArgs('device:set-routers', { addresses: ['192.168.1.300'] })).toThrow(
      /at addresses\.0: not an IP address/,
    );
    expect(() =>
      parseRequestArgs('device:set-routers', { addresses: Array(17).fill('192.168.1.1') }),
    ).toThrow(/at addresses/);
  });
});
