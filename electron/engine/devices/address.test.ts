import { describe, expect, it } from 'vitest';
import { canonicalAddress, ipv6Bytes, isLinkLocal, isLoopback, reverseName } from './address';
import { isDeviceMac, isLocallyAdministered, isMulticastMac, normalizeMac } from './mac';

describe('canonicalAddress', () => {
  it.each([
    ['192.168.1.1', '192.168.1.1'],
    [' 10.0.0.7 ', '10.0.0.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:1e00:0:5ce1:3aff:fe77:1002', '2001:db8:1e00:0:5ce1:3aff:fe77:1002'],
    ['fe80::f6f2:6dff:fe12:3456%en0', 'fe80::f6f2:6dff:fe12:3456'],
    ['::ffff:192.168.1.9', '192.168.1.9'],
    ['::1', '::1'],
    ['2001:db8::', '2001:db8::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('%s → %s', (input, out) => {
    expect(canonicalAddress(input)).toBe(out);
  });

  it.each(['', 'router', '192.168.1', '300.1.1.1', '2001:db8::1::2', 'f4:f2:6d:12:34:56'])(
    'rejects %j',
    (input) => {
      expect(canonicalAddress(input)).toBe('');
    },
  );

  it('reads an embedded IPv4 tail', () => {
    expect([...ipv6Bytes('64:ff9b::192.0.2.33')!.slice(12)]).toEqual([192, 0, 2, 33]);
  });
});

describe('reverseName', () => {
  it('IPv4: octets reversed under in-addr.arpa (RFC 1035 §3.5)', () => {
    expect(reverseName('192.168.1.23')).toBe('23.1.168.192.in-addr.arpa');
  });
  it('IPv6: 32 nibbles reversed under ip6.arpa (RFC 3596 §2.5)', () => {
    // The example from RFC 3596 §2.5 for 4321:0:1:2:3:4:567:89ab.
    expect(reverseName('4321:0:1:2:3:4:567:89ab')).toBe(
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa',
    );
  });
  it('is empty for a non-address', () => {
    expect(reverseName('host.lan')).toBe('');
  });
});

describe('address classes', () => {
  it('loopback and link-local', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('192.168.1.1')).toBe(false);
    expect(isLinkLocal('169.254.3.4')).toBe(true);
    expect(isLinkLocal('fe80::1')).toBe(true);
    expect(isLinkLocal('febf::1')).toBe(true);
    expect(isLinkLocal('fec0::1')).toBe(false);
    expect(isLinkLocal('2001:db8::1')).toBe(false);
  });
});

describe('MAC addresses', () => {
  it.each([
    ['0:1b:21:3:4:5', '00:1b:21:03:04:05'],
    ['00-1B-21-3C-4D-5E', '00:1b:21:3c:4d:5e'],
    ['F4:F2:6D:12:34:56', 'f4:f2:6d:12:34:56'],
  ])('normalizes %s', (input, out) => {
    expect(normalizeMac(input)).toBe(out);
  });

  it.each([
    '(incomplete)',
    '',
    '00:1b:21:3c:4d',
    '00:1b:21:3c:4d:5e:6f',
    '001b.213c.4d5e',
    'g0:1b:21:3c:4d:5e',
  ])('rejects %j', (input) => {
    expect(normalizeMac(input)).toBe('');
  });

  it('reads the I/G and U/L bits of the first octet', () => {
    expect(isMulticastMac('01:00:5e:00:00:fb')).toBe(true);
    expect(isMulticastMac('33:33:00:00:00:01')).toBe(true);
    expect(isMulticastMac('00:1b:21:3c:4d:5e')).toBe(false);
    expect(isLocallyAdministered('02:42:ac:11:00:02')).toBe(true);
    expect(isLocallyAdministered('5e:e1:3a:77:10:02')).toBe(true);
    expect(isLocallyAdministered('f4:f2:6d:12:34:56')).toBe(false);
  });

  it('only unicast, non-zero MACs name a device', () => {
    expect(isDeviceMac('00:1b:21:3c:4d:5e')).toBe(true);
    expect(isDeviceMac('00:00:00:00:00:00')).toBe(false);
    expect(isDeviceMac('ff:ff:ff:ff:ff:ff')).toBe(false);
    expect(isDeviceMac('')).toBe(false);
  });
});
