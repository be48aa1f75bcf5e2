import { describe, expect, it } from 'vitest';
import { ipFamily, parseHostPort } from './host-port';

describe('parseHostPort', () => {
  it('reads IPv4 with and without a port', () => {
    expect(parseHostPort('1.1.1.1', 53)).toEqual({ host: '1.1.1.1', port: 53 });
    expect(parseHostPort(' 127.0.0.1:5353 ', 53)).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseHostPort('192.168.0.300', 53)).toBeNull();
    expect(parseHostPort('1.2.3.04', 53)).toBeNull();
  });

  it('reads bare IPv6 (every colon belongs to the address) and the bracket forms', () => {
    expect(parseHostPort('::1', 5353)).toEqual({ host: '::1', port: 5353 });
    expect(parseHostPort('2606:4700::1111', 53)).toEqual({ host: '2606:4700::1111', port: 53 });
    expect(parseHostPort('[2606:4700::1111]:853', 53)).toEqual({ host: '2606:4700::1111', port: 853 });
    expect(parseHostPort('[::1]', 53)).toEqual({ host: '::1', port: 53 });
    expect(parseHostPort('[::ffff:1.2.3.4]:53', 53)).toEqual({ host: '::ffff:1.2.3.4', port: 53 });
    expect(parseHostPort('[1.2.3.4]:53', 53)).toEqual({ host: '1.2.3.4', port: 53 });
    expect(parseHostPort('[::1]:', 53)).toBeNull();
    expect(parseHostPort('[::1', 53)).toBeNull();
  });

  it('keeps IPv6 zone ids, bare and in brackets', () => {
    expect(parseHostPort('fe80::1%eth0', 53)).toEqual({ host: 'fe80::1%eth0', port: 53 });
    expect(parseHostPort('[fe80::1%en0]:5353', 53)).toEqual({ host: 'fe80::1%en0', port: 5353 });
    expect(parseHostPort('fe80::1%', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4%eth0', 53)).toBeNull();
  });

  it('refuses bad ports; port 0 only when asked for', () => {
    expect(parseHostPort('1.2.3.4:0', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4:0', 53, true)).toEqual({ host: '1.2.3.4', port: 0 });
    expect(parseHostPort('[::1]:0', 53, true)).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort('1.2.3.4:65535', 53)).toEqual({ host: '1.2.3.4', port: 65535 });
    expect(parseHostPort('1.2.3.4:65536', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4:123456', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4:-1', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4:5x', 53)).toBeNull();
    expect(parseHostPort('1.2.3.4:', 53)).toBeNull();
    expect(parseHostPort('[::1]:99999', 53)).toBeNull();
  });

  it('refuses host names and empty text', () => {
    expect(parseHostPort('host:53', 53)).toBeNull();
    expect(parseHostPort('dns.google', 53)).toBeNull();
    expect(parseHostPort('localhost', 53)).toBeNull();
    expect(parseHostPort('[localhost]:53', 53)).toBeNull();
    expect(parseHostPort('', 53)).toBeNull();
  });
});

describe('ipFamily', () => {
  it('tells IPv4, IPv6 (zone ids too) and everything else apart', () => {
    expect(ipFamily('0.0.0.0')).toBe(4);
    expect(ipFamily('::')).toBe(6);
    expect(ipFamily('FE80::1%eth0')).toBe(6);
    expect(ipFamily('1:2:3:4:5:6:1.2.3.4')).toBe(6);
    expect(ipFamily('1:2:3:4:5:6:7:8:9')).toBe(0);
    expect(ipFamily('example.com')).toBe(0);
  });
});
