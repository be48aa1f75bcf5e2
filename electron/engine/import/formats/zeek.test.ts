import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, readBytes, seeded } from '../test-support';
import { ImportError } from '../types';
import { zeek } from './zeek';

const read = zeek.read!;
// dns.log rows written to Zeek's DNS::Info columns, in its TSV and JSON formats: the same four transactions.
const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/import/zeek');
const tsv = readFileSync(path.join(FIXTURES, 'dns.log'));
const json = readFileSync(path.join(FIXTURES, 'dns.json'));
const T0 = Date.parse('2026-11-20T09:00:00Z');

describe('Zeek dns.log', () => {
  for (const [name, bytes] of [
    ['dns.log', tsv],
    ['dns.json', json],
  ] as const)
    it(`reads ${name}: query, answers, rtt and the resolver asked`, async () => {
      expect(zeek.sniff(bytes, name)).toBe(true);
      const { records, skipped } = await readBytes(read, bytes, name);
      // The mDNS row has no query: left out and counted.
      expect(skipped).toBe(1);
      expect(
        records.map((r) => [r.ts, r.client, r.clientPort, r.transport, r.qname, r.qtype, r.rcode, r.answers]),
      ).toEqual([
        [
          T0 + 123,
          '192.168.0.1',
          51234,
          'udp',
          'gw.safethings.avira.com',
          'A',
          'NOERROR',
          'gw-eu.safethings.avira.com, 192.0.2.7',
        ],
        [T0 + 1124, '192.168.0.1', 51235, 'udp', 'url.safethings.avira.com', 'A', '', ''],
        [T0 + 2500, 'fd00::23', 40001, 'tcp', 'nothing.example', 'AAAA', 'NXDOMAIN', ''],
      ]);
      expect(records[0]).toMatchObject({ latencyMs: 12.345, upstream: '9.9.9.9:53', responseWire: null });
      expect(records[2]!.upstream).toBe('[fd00::1]:53');
    });

  it('names the first row that does not fit its header', async () => {
    const text = tsv.toString('utf8').replace('\tudp\t4661\t', '\tudp\t');
    await expect(readBytes(read, text, 'dns.log')).rejects.toThrow(
      'Zeek dns.log dns.log line 10: 23 columns where #fields names 24',
    );
    await expect(readBytes(read, '#path\tconn\n', 'conn.log')).rejects.toThrow(
      'line 1: a Zeek conn.log, not a dns.log',
    );
    await expect(readBytes(read, '1795165200.1\tC\t1.2.3.4\n', 'x.log')).rejects.toThrow(
      'line 1: a row before the #fields header',
    );
  });

  it('fuzz: damaged logs give records or one ImportError, never another failure', async () => {
    const rand = seeded(0x2eec);
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(i % 2 === 0 ? tsv : json, rand);
      try {
        const { records } = await readBytes(read, bytes, 'fuzz.log');
        for (const r of records) expect(Number.isFinite(r.ts)).toBe(true);
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(ImportError);
        expect((err as Error).message).toMatch(/^Zeek dns\.log fuzz\.log line \d+: /);
      }
    }
  });
});
