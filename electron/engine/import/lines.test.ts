import { describe, expect, it } from 'vitest';
import { encodeJournalLine, journalLineMaxBytes } from '../capture/journal-encode';
import { LocalTimeFormatter } from '../capture/local-time';
import { LineEncoder } from './lines';
import { NO_WIRE, type ImportRecord } from './types';
import type { EncodedBlock } from './writer';

const T0 = Date.parse('2026-11-20T09:00:00Z');

function rec(ts: number, offset: number | undefined, i: number): ImportRecord {
  return {
    ts,
    offset,
    client: i % 2 === 0 ? '192.168.0.1' : 'fe80::1',
    clientPort: i,
    transport: i % 3 === 0 ? 'tcp' : 'udp',
    qname: i % 5 === 0 ? 'wéird "name"\\.example' : `n${i}.safethings.avira.com`,
    qtype: 'A',
    rcode: i % 4 === 0 ? '' : 'NOERROR',
    answers: i % 4 === 0 ? '' : '192.0.2.7, 2001:db8::1',
    latencyMs: i % 7 === 0 ? 0 : 1.234,
    upstream: 'https://dns10.quad9.net:443/dns-query',
    size: i * 10,
    error: i % 9 === 0 ? 'blocked' : '',
    watchRule: i % 2 === 0 ? 'avira-safethings' : '',
    queryWire: i % 2 === 0 ? Uint8Array.from([1, 2, 3, 4, 5]) : NO_WIRE,
    responseWire: i % 3 === 0 ? null : Uint8Array.from([9, 8, 7]),
  };
}

/** Times in one second and across seconds, zones given and not, fractions of a ms, years beyond 9999, none. */
const TIMES: readonly [number, number | undefined][] = [
  [T0, undefined],
  [T0 + 7, undefined],
  [T0 + 999, 60],
  [T0 + 999, undefined],
  [T0 + 1000, -330],
  [T0 + 1001, -330],
  [T0 + 1002, undefined],
  [T0 + 1002.5, undefined],
  [T0 + 1003, 0],
  [Date.parse('+010000-01-01T00:00:00Z') + 5, 0],
  [Date.parse('+010000-01-01T00:00:00Z') + 6, 0],
  [8.7e15, undefined],
  [-1500, undefined],
  [T0 + 5000, undefined],
];

describe('LineEncoder', () => {
  it('encodes the bytes encodeJournalLine gives with LocalTimeFormatter, in blocks numbered from 1', () => {
    const blocks: { lines: Buffer; block: EncodedBlock }[] = [];
    const enc = new LineEncoder('20261120-090000-abcd', (lines, block) =>
      blocks.push({ lines: Buffer.from(lines), block }),
    );
    const times = new LocalTimeFormatter();
    const expected: Buffer[] = [];
    const recs: ImportRecord[] = [];
    for (let round = 0; round < 3; round++)
      for (const [i, [ts, offset]] of TIMES.entries()) recs.push(rec(ts, offset, round * 100 + i));
    for (const [i, r] of recs.entries()) {
      enc.add(r);
      const time = times.format(r.ts, r.offset);
      const buf = Buffer.alloc(journalLineMaxBytes(time, '20261120-090000-abcd', r) + 1);
      const end = encodeJournalLine(buf, 0, i + 1, time, '20261120-090000-abcd', r);
      expected.push(buf.subarray(0, end), Buffer.from('\n'));
    }
    enc.flush();
    expect(enc.records).toBe(recs.length);
    expect(Buffer.concat(blocks.map((b) => b.lines)).toString('utf8')).toBe(
      Buffer.concat(expected).toString('utf8'),
    );
    expect(blocks.map((b) => b.block)).toEqual([
      {
        count: recs.length,
        from: 1,
        to: recs.length,
        firstTs: recs[0]!.ts,
        lastTs: recs.at(-1)!.ts,
        minTs: Math.min(...recs.map((r) => r.ts)),
        maxTs: Math.max(...recs.map((r) => r.ts)),
      },
    ]);
  });
});
