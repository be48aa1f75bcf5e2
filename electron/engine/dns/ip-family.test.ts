// shared/host-port.js copies node:net's address grammar so the Settings form (no Node) accepts exactly
// what the engine binds; this keeps the copy honest.
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipFamily } from '@shared/host-port';

const samples = [
  '0.0.0.0',
  '255.255.255.255',
  '256.1.1.1',
  '1.2.3.04',
  '1.2.3',
  '1.2.3.4.5',
  '::',
  '::1',
  '1::',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7::',
  '1:2:3:4:5:6:7:8:9',
  '1::2::3',
  '::ffff:1.2.3.4',
  '1:2:3:4:5:6:1.2.3.4',
  'fe80::1%eth0',
  'fe80::1%25',
  'fe80::1%',
  'fe80::1%a b',
  'FE80::ABCD',
  '12345::',
  'g::1',
  '[::1]',
  'localhost',
  '',
];

describe('ipFamily', () => {
  it.each(samples)('agrees with node:net for %j', (s) => {
    expect(ipFamily(s)).toBe(isIP(s));
  });
});
