import { describe, expect, it } from 'vitest';
import { AccessList, DEFAULT_ALLOWED, normalizeAddress, parseCidr } from './acl';

describe('AccessList', () => {
  const defaults = new AccessList(DEFAULT_ALLOWED);

  it('allows this machine and private networks by default (RFC 1918, 6598, 4193, link-local)', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.10',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.7.7',
      '::1',
      'fd12:3456::1',
      'fc00::1',
      'fe80::1',
    ])
      expect(defaults.allows(a), a).toBe(true);
  });

  it('refuses everything else, so it is never an open resolver (RFC 5358)', () => {
    for (const a of [
      '8.8.8.8',
      '1.1.1.1',
      '172.15.255.255',
      '172.32.0.1',
      '192.169.0.1',
      '100.128.0.1',
      '11.0.0.1',
      '2001:db8::1',
      'not-an-address',
      '',
    ])
      expect(defaults.allows(a), a).toBe(false);
  });

  it('adds what --allow names, to the prefix length', () => {
    const acl = new AccessList([...DEFAULT_ALLOWED, '203.0.113.0/24', '2001:db8:1::/48', '198.51.100.7']);
    expect(acl.allows('203.0.113.0')).toBe(true);
    expect(acl.allows('203.0.113.255')).toBe(true);
    expect(acl.allows('203.0.114.1')).toBe(false);
    expect(acl.allows('2001:db8:1:ffff::1')).toBe(true);
    expect(acl.allows('2001:db8:2::1')).toBe(false);
    // A bare address is a /32.
    expect(acl.allows('198.51.100.7')).toBe(true);
    expect(acl.allows('198.51.100.8')).toBe(false);
    expect(acl.allows('192.168.0.1')).toBe(true);
  });

  it('allows only what it is given: the defaults are not implied', () => {
    const acl = new AccessList(['10.0.0.0/8']);
    expect(acl.allows('10.9.9.9')).toBe(true);
    expect(acl.allows('127.0.0.1')).toBe(false);
    expect(acl.allows('192.168.1.1')).toBe(false);
  });

  it('names the entry that does not parse', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'lan', '10.0.0.0/', '10.0.0.0/8x'])
      expect(() => new AccessList([bad]), bad).toThrow(`"${bad}"`);
  });

  it('gives the same verdict from its cache', () => {
    const acl = new AccessList(['192.168.0.0/16']);
    for (let i = 0; i < 3; i++) {
      expect(acl.allows('192.168.5.5')).toBe(true);
      expect(acl.allows('8.8.4.4')).toBe(false);
    }
  });
});

describe('parseCidr', () => {
  it('reads ADDR/PREFIX and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseCidr(' 192.168.1.1 ')).toEqual({ address: '192.168.1.1', prefix: 32, family: 4 });
    expect(parseCidr('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 6 });
    expect(parseCidr('::1')).toEqual({ address: '::1', prefix: 128, family: 6 });
    expect(parseCidr('10.0.0.0/-1')).toBeNull();
    expect(parseCidr('example.com/24')).toBeNull();
  });
});

describe('normalizeAddress', () => {
  it('gives one client one address: no IPv4-mapped prefix, no zone', () => {
    expect(normalizeAddress('::ffff:192.168.1.5')).toBe('192.168.1.5');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('::ffff:c0a8:105')).toBe('::ffff:c0a8:105');
    expect(normalizeAddress('10.0.0.1')).toBe('10.0.0.1');
    // What the listener checks: a mapped private address is allowed once normalised.
    expect(new AccessList(DEFAULT_ALLOWED).allows(normalizeAddress('::ffff:192.168.1.5'))).toBe(true);
  });
});
