import { describe, expect, it } from 'vitest';
import { exportFileName } from './export-name';
import { isoLocal } from './time';

const now = Date.UTC(2026, 10, 23, 1, 5, 7);
const stamp = isoLocal(now).slice(0, 16).replace(':', '');

describe('exportFileName', () => {
  it('names each kind with the device and the local minute', () => {
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d{4}$/);
    const filter = { client: '192.168.1.1' };
    expect(exportFileName('csv', filter, now)).toBe(`dns-witness-192.168.1.1-${stamp}.csv`);
    expect(exportFileName('pcap', filter, now)).toBe(`dns-witness-192.168.1.1-${stamp}.pcap`);
    expect(exportFileName('bundle', filter, now)).toBe(`dns-witness-evidence-192.168.1.1-${stamp}.zip`);
    expect(exportFileName('png', filter, now)).toBe(`dns-witness-dashboard-${stamp}.png`);
  });

  it('leaves the device out when the filter names none', () => {
    expect(exportFileName('csv', {}, now)).toBe(`dns-witness-${stamp}.csv`);
    expect(exportFileName('bundle', { name: 'avira' }, now)).toBe(`dns-witness-evidence-${stamp}.zip`);
  });

  it('keeps only characters safe in every file system and in a quoted header', () => {
    const name = exportFileName('csv', { client: 'fe80::1%eth0"/\\' }, now);
    expect(name).toBe(`dns-witness-fe80--1-eth0----${stamp}.csv`);
    expect(name).toMatch(/^[A-Za-z0-9.T-]+$/);
  });
});
