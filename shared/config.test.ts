import { describe, expect, it } from 'vitest';
import { isCidr, splitList, validateConfigValues, type ConfigValues } from './config';
import { parseHostPort } from './host-port';

const ok: ConfigValues = { listen: [], upstreams: [], allow: [], retentionDays: 30, dataDir: '' };

describe('settings validation', () => {
  it('accepts addresses with and without ports and writes them canonically', () => {
    const r = validateConfigValues({
      ...ok,
      listen: [' 192.168.0.23 ', 'fd00::23', '[fd00::24]:5353'],
      upstreams: ['9.9.9.9', '127.0.0.1:5353'],
      allow: ['203.0.113.0/24', '2001:db8::/32'],
    });
    expect(r).toEqual({
      ok: true,
      values: {
        listen: ['192.168.0.23:53', '[fd00::23]:53', '[fd00::24]:5353'],
        upstreams: ['9.9.9.9:53', '127.0.0.1:5353'],
        allow: ['203.0.113.0/24', '2001:db8::/32'],
        retentionDays: 30,
        dataDir: '',
      },
    });
  });

  it('refuses each bad field with a message meant for that field', () => {
    const r = validateConfigValues({
      listen: ['192.168.0.300'],
      upstreams: ['dns.google'],
      allow: ['10.0.0.0/33'],
      retentionDays: 1.5,
      dataDir: 'relative/folder',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      listen:
        '“192.168.0.300” is not an address of this computer with an optional port, e.g. 192.168.0.23 or 192.168.0.23:53.',
      upstreams:
        '“dns.google” is not a resolver address with an optional port, e.g. 9.9.9.9 or 127.0.0.1:5353.',
      allow: '“10.0.0.0/33” is not an address range, e.g. 203.0.113.0/24.',
      retentionDays: 'Enter whole days from 0 (keep forever) to 36500.',
      dataDir: 'Enter a full path (starting with / or a drive letter like C:\\), or leave it empty.',
    });
    expect(validateConfigValues({ ...ok, listen: ['1.2.3.4:0'] }).ok).toBe(false);
    expect(validateConfigValues({ ...ok, listen: ['1.2.3.4:65536'] }).ok).toBe(false);
    expect(validateConfigValues({ ...ok, retentionDays: -1 }).ok).toBe(false);
    expect(validateConfigValues({ ...ok, dataDir: 'C:\\Users\\me\\dns' }).ok).toBe(true);
    expect(
      validateConfigValues({ ...ok, listen: Array.from({ length: 33 }, () => '127.0.0.1') }),
    ).toMatchObject({
      ok: false,
      errors: { listen: 'At most 32 listen addresses.' },
    });
  });

  it('parses the pieces the form uses', () => {
    expect(parseHostPort('[::1]:53', 53)).toEqual({ host: '::1', port: 53 });
    expect(parseHostPort('::1', 5353)).toEqual({ host: '::1', port: 5353 });
    expect(parseHostPort('host:53', 53)).toBeNull();
    expect(isCidr('192.168.0.1')).toBe(true);
    expect(isCidr('fc00::/7')).toBe(true);
    expect(isCidr('fc00::/129')).toBe(false);
    expect(splitList(' 9.9.9.9, 1.1.1.1\n149.112.112.112 ')).toEqual([
      '9.9.9.9',
      '1.1.1.1',
      '149.112.112.112',
    ]);
  });
});
