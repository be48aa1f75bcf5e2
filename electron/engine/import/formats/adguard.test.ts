import { describe, expect, it } from 'vitest';
import { adguardLine, beaconQueries, mutate, readBytes, seeded } from '../test-support';
import { ImportError } from '../types';
import { adguard } from './adguard';

const read = adguard.read!;
const START = Date.parse('2026-11-20T09:00:00Z');

describe('AdGuard Home query log', () => {
  it('reads every field it keeps, with the time and offset it was written with', async () => {
    const text =
      [
        adguardLine(
          { ts: START, client: '192.168.0.1', qname: 'gw.safethings.avira.com', answer: '192.0.2.7' },
          7,
        ),
        adguardLine({
          ts: START + 1500,
          client: 'fd00::23',
          qname: 'nothing.example',
          qtype: 'AAAA',
          rcode: 'NXDOMAIN',
        }),
        // AdGuard Home's own test entry (decode_test.go), with a zone offset and a cached answer.
        '{"IP":"127.0.0.1","T":"2020-11-25T18:55:56.519796+03:00","QH":"an.yandex.ru","QT":"A","QC":"IN","CP":"doh","Answer":"Qz+BgAABAAEAAAAAAmFuBnlhbmRleAJydQAAAQABwAwAAQABAAAACgAEAAAAAA==","Cached":true,"Result":{"IsFiltered":true,"Reason":3},"Elapsed":837429}',
      ].join('\n') + '\n';
    const { records, skipped } = await readBytes(read, text, 'querylog.json');
    expect(skipped).toBe(0);
    expect(records).toHaveLength(3);
    const [a, b, c] = records;
    expect(a).toMatchObject({
      ts: START,
      offset: 0,
      client: '192.168.0.1',
      qname: 'gw.safethings.avira.com',
      qtype: 'A',
      rcode: 'NOERROR',
      answers: '192.0.2.7',
      latencyMs: 2.346,
      upstream: 'https://dns10.quad9.net:443/dns-query',
      transport: 'udp',
      error: '',
    });
    expect(a!.queryWire).toHaveLength(0);
    expect(a!.responseWire![1]).toBe(7);
    expect(b).toMatchObject({ client: 'fd00::23', qtype: 'AAAA', rcode: 'NXDOMAIN', answers: '' });
    expect(c).toMatchObject({
      ts: Date.parse('2020-11-25T15:55:56.519Z'),
      offset: 180,
      qname: 'an.yandex.ru',
      answers: '0.0.0.0',
      upstream: 'cache',
      transport: 'tcp',
      error: 'blocked',
      latencyMs: 0.837,
    });
  });

  it('reads times of any fraction and zone, one after another, each as it is written', async () => {
    const times: [string, string, number, number][] = [
      // The second, the fraction, ms, minutes east of UTC.
      ['2026-11-20T09:00:00', '.5+01:00', 500, 60],
      ['2026-11-20T09:00:00', '.53+01:00', 530, 60],
      ['2026-11-20T09:00:00', '.531+01:00', 531, 60],
      ['2026-11-20T09:00:00', '.5319999+01:00', 531, 60],
      ['2026-11-20T09:00:00', '+01:00', 0, 60],
      ['2026-11-20T09:00:00', '.007+05:30', 7, 330],
      ['2026-11-20T09:00:00', '.007Z', 7, 0],
      ['2026-11-20T09:00:01', '.007Z', 7, 0],
      ['2026-11-20T09:00:01', 'Z', 0, 0],
      ['2026-11-20T09:00:01', '.999999999-08:00', 999, -480],
      ['2026-11-20T09:00:00', '.5+01:00', 500, 60],
    ];
    const text = times
      .map(([second, rest]) => `{"T":"${second}${rest}","QH":"t.example","QT":"A","IP":"192.168.0.1"}`)
      .join('\n');
    const { records } = await readBytes(read, text, 'querylog.json');
    expect(records.map((r) => [r.ts, r.offset])).toEqual(
      times.map(([second, rest, ms, offset]) => [
        Date.parse(second + rest.replace(/^\.\d*/, '')) + ms,
        offset,
      ]),
    );
  });

  it('recognises its files and only them', () => {
    const line = Buffer.from(adguardLine({ ts: START, client: '192.168.0.1', qname: 'a.example' }));
    expect(adguard.sniff(line, 'querylog.json')).toBe(true);
    expect(
      adguard.sniff(Buffer.from('Nov 20 09:00:00 dnsmasq[1]: query[A] a.example from 1.2.3.4\n'), 'x'),
    ).toBe(false);
    expect(adguard.sniff(Buffer.from('{"ts":1,"query":"a.example"}\n'), 'dns.log')).toBe(false);
  });

  it('names the first damaged line and stops there', async () => {
    const good = adguardLine({ ts: START, client: '192.168.0.1', qname: 'a.example' });
    const cases: [string, string][] = [
      [
        `${good}\n${good}\n{"T":"2026-11-20T09:00:00Z","QH":"a.example",\n${good}\n`,
        'line 3: not a JSON object',
      ],
      [`${good}\n{"T":"2026-11-20T09:00:00Z"}\n`, 'line 2: no question name (QH)'],
      [`{"T":"yesterday","QH":"a.example"}\n`, 'line 1: the time "yesterday" is not RFC 3339'],
      [`${good}\n\n[1,2]\n`, 'line 3: not a JSON object'],
    ];
    for (const [text, where] of cases) {
      const err = await readBytes(read, text, 'querylog.json').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as Error).message).toBe(`AdGuard Home query log querylog.json ${where}`);
    }
  });

  it('reads a long log with a rotated part in order, lines split across read chunks', async () => {
    const queries = beaconQueries(START, 12_000);
    const text = queries.map((q, i) => adguardLine(q, i & 0xffff)).join('\r\n');
    const { records } = await readBytes(read, text, 'querylog.json.1');
    expect(records).toHaveLength(12_000);
    expect(records.map((r) => r.ts)).toEqual(queries.map((q) => q.ts));
    expect(records.filter((r) => r.qname.endsWith('.safethings.avira.com'))).toHaveLength(8_000);
  });

  it('fuzz: random and damaged logs give records or one ImportError, never another failure', async () => {
    const rand = seeded(0x19ad);
    const base = Buffer.from(
      beaconQueries(START, 40)
        .map((q) => adguardLine(q))
        .join('\n'),
    );
    for (let i = 0; i < 300; i++) {
      const bytes =
        i % 3 === 0
          ? Buffer.from(Array.from({ length: Math.floor(rand() * 2048) }, () => Math.floor(rand() * 256)))
          : mutate(base, rand);
      try {
        const { records } = await readBytes(read, bytes, 'querylog.json');
        for (const r of records) {
          expect(Number.isFinite(r.ts)).toBe(true);
          expect(typeof r.qname).toBe('string');
        }
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(ImportError);
        expect((err as Error).message).toMatch(/^AdGuard Home query log querylog\.json line \d+: /);
      }
    }
  });
});
