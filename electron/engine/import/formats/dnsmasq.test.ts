import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, readBytes, seeded } from '../test-support';
import { ImportError } from '../types';
import { dnsmasq } from './dnsmasq';

const read = dnsmasq.read!;
// Logs written by Debian's dnsmasq 2.90 answering dig on loopback (--log-queries, and =extra).
const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/import/dnsmasq');
const plain = readFileSync(path.join(FIXTURES, 'log-queries.log'));
const extra = readFileSync(path.join(FIXTURES, 'log-queries-extra.log'));
const MTIME = new Date(2026, 11, 3).getTime();

describe('dnsmasq query log', () => {
  it('pairs log-queries=extra lines by serial, with the client port', async () => {
    const { records, skipped } = await readBytes(read, extra, 'dnsmasq.log', { mtimeMs: MTIME });
    // The start-up lines and the exit line are not queries.
    expect(skipped).toBe(6);
    expect(records.map((r) => [r.qname, r.qtype, r.rcode, r.answers, r.upstream])).toEqual([
      ['www.example.test', 'A', 'NOERROR', '192.0.2.10', ''],
      ['nope.test', 'A', 'NXDOMAIN', '', ''],
      ['gw.safethings.avira.com', 'A', 'NOERROR', '192.0.2.78', ''],
      ['x.fwd.example', 'A', '', '', '127.0.0.1:9'],
      ['www.example.test', 'AAAA', 'NOERROR', '2001:db8::10', ''],
      ['www.example.test', 'MX', 'NOERROR', '', ''],
      ['www.example.test', 'HTTPS', 'NOERROR', '', ''],
    ]);
    expect(records[0]).toMatchObject({
      ts: new Date(2026, 11, 2, 13, 42, 25).getTime(),
      client: '127.0.0.1',
      clientPort: 46901,
      transport: 'udp',
    });
    expect(records.every((r) => r.queryWire.length === 0 && r.responseWire === null)).toBe(true);
  });

  it('pairs plain log-queries lines by name, following CNAME and PTR replies', async () => {
    const { records, skipped } = await readBytes(read, plain, 'dnsmasq.log', { mtimeMs: MTIME });
    expect(skipped).toBe(6);
    expect(records.map((r) => [r.qname, r.qtype, r.rcode, r.answers, r.clientPort])).toEqual([
      ['www.example.test', 'A', 'NOERROR', '192.0.2.10', 0],
      ['nope.test', 'A', 'NXDOMAIN', '', 0],
      ['gw.safethings.avira.com', 'A', 'NOERROR', '192.0.2.78', 0],
      ['x.fwd.example', 'A', '', '', 0],
      ['alias.example.test', 'A', 'NOERROR', '192.0.2.10', 0],
      ['10.2.0.192.in-addr.arpa', 'PTR', 'NOERROR', 'www.example.test', 0],
    ]);
  });

  it('takes the year from --year, or from the file time, across New Year', async () => {
    const log =
      'Dec 31 23:59:59 router dnsmasq[7]: query[A] a.example from 192.168.0.5\n' +
      'Jan  1 00:00:01 router dnsmasq[7]: query[A] b.example from 192.168.0.5\n';
    const byFile = await readBytes(read, log, 'syslog', { mtimeMs: new Date(2027, 0, 1, 1).getTime() });
    expect(byFile.records.map((r) => r.ts)).toEqual([
      new Date(2026, 11, 31, 23, 59, 59).getTime(),
      new Date(2027, 0, 1, 0, 0, 1).getTime(),
    ]);
    const byFlag = await readBytes(read, log, 'syslog', { year: 2024, mtimeMs: MTIME });
    expect(new Date(byFlag.records[1]!.ts).getFullYear()).toBe(2025);
    const iso = '2026-12-02T13:42:25.123456+01:00 gw dnsmasq[7]: query[AAAA] c.example from fd00::5\n';
    const r = await readBytes(read, iso, 'syslog');
    expect(r.records[0]).toMatchObject({ ts: Date.parse('2026-12-02T12:42:25.123Z'), client: 'fd00::5' });
  });

  it('recognises dnsmasq logs', () => {
    expect(dnsmasq.sniff(extra, 'x')).toBe(true);
    expect(dnsmasq.sniff(Buffer.from('{"T":"x","QH":"a"}\n'), 'x')).toBe(false);
  });

  it('fuzz: damaged logs give records and a skip count, never a failure', async () => {
    const rand = seeded(0xd25);
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(i % 2 === 0 ? plain : extra, rand);
      try {
        const { records } = await readBytes(read, bytes, 'dnsmasq.log', { mtimeMs: MTIME });
        for (const r of records) expect(Number.isFinite(r.ts)).toBe(true);
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(ImportError);
      }
    }
  });
});
