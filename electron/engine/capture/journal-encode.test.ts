import { describe, expect, it } from 'vitest';
import { encodeJournalLine, encodeJsonNumber, journalLineMaxBytes } from './journal-encode';
import { exchange, journalLine } from './test-support';
import type { ExchangeRecord } from './types';

/** A small seeded generator (Park–Miller), so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const PIECES = [
  'www',
  'example',
  'safethings',
  'xn--bcher-kva',
  'bücher',
  'имя',
  '日本',
  '"quoted"',
  'back\\slash',
  'tab\there',
  'new\nline',
  '\u0000nul',
  '\u007fdel',
  '\ud83d\ude00',
  '\ud800lone',
  'lone\udfff',
  '=cmd',
  ',comma',
  '',
];

function randomText(r: () => number): string {
  const n = Math.floor(r() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(PIECES[Math.floor(r() * PIECES.length)]!);
  return parts.join('.');
}

function randomBytes(r: () => number): Uint8Array {
  const out = new Uint8Array(Math.floor(r() * 40));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  return out;
}

function encoded(seq: number, time: string, captureId: string, rec: ExchangeRecord): Buffer {
  const max = journalLineMaxBytes(time, captureId, rec);
  // Poisoned around the line: a write beyond the bound or before `pos` would show.
  const buf = Buffer.alloc(max + 16, 0xaa);
  const end = encodeJournalLine(buf, 8, seq, time, captureId, rec);
  expect(end - 8).toBeLessThanOrEqual(max);
  expect(buf.subarray(end, end + 8).every((b) => b === 0xaa)).toBe(true);
  expect(buf.subarray(0, 8).every((b) => b === 0xaa)).toBe(true);
  return buf.subarray(8, end);
}

describe('encodeJournalLine', () => {
  it('writes the same bytes as journalLine for an ordinary exchange', () => {
    const rec = exchange();
    const time = '2026-11-23T04:05:01.000+01:00';
    expect(encoded(42, time, 'c-20261123-abc', rec).toString('utf8')).toBe(
      journalLine(42, time, 'c-20261123-abc', rec),
    );
  });

  it('matches journalLine on 5,000 random exchanges: escapes, non-ASCII, surrogates, odd numbers, every wire length', () => {
    const r = rng(20261123);
    const numbers = [
      0,
      -0,
      2 ** 31 - 1,
      2 ** 31,
      1e9 - 1,
      1e9,
      1e9 + 1,
      1e10,
      999_999_999_999,
      2 ** 53 - 1,
      -(2 ** 40),
      1,
      9,
      10,
      99,
      100,
      65535,
      -1,
      -12,
      1.5,
      0.171,
      12.345,
      1e21,
      NaN,
      Infinity,
      2 ** 53 + 2,
    ];
    const pick = () => numbers[Math.floor(r() * numbers.length)]!;
    for (let i = 0; i < 5000; i++) {
      const rec = exchange({
        ts: r() < 0.8 ? 1_763_859_901_000 + Math.floor(r() * 1e9) : pick(),
        client: r() < 0.5 ? '192.168.0.23' : randomText(r),
        clientPort: r() < 0.8 ? Math.floor(r() * 65536) : pick(),
        transport: r() < 0.5 ? 'udp' : 'tcp',
        qname: randomText(r),
        qtype: r() < 0.9 ? 'AAAA' : randomText(r),
        rcode: 'NXDOMAIN',
        answers: randomText(r),
        latencyMs: r() < 0.8 ? Math.round(r() * 5_000_000) / 1000 : pick(),
        upstream: '[2606:4700::1111]:53',
        size: r() < 0.8 ? Math.floor(r() * 4096) : pick(),
        error: r() < 0.8 ? '' : randomText(r),
        watchRule: r() < 0.5 ? '' : 'avira-safethings',
        queryWire: randomBytes(r),
        responseWire: r() < 0.2 ? null : randomBytes(r),
      });
      const seq = 1 + Math.floor(r() * 1e12);
      const want = Buffer.from(journalLine(seq, '2026-11-23T04:05:01.123Z', 'c1', rec), 'utf8');
      const got = encoded(seq, '2026-11-23T04:05:01.123Z', 'c1', rec);
      if (!got.equals(want)) expect(got.toString('utf8')).toBe(want.toString('utf8'));
    }
  });

  it('writes numbers as String() does: thousandths of every size and sign, other fractions, the rest', () => {
    const r = rng(20261203);
    const buf = Buffer.alloc(64);
    const text = (n: number) => buf.toString('latin1', 0, encodeJsonNumber(buf, 0, n));
    const odd = [
      0.0005,
      0.001,
      -0.001,
      0.1 + 0.2,
      1 / 3,
      1e-7,
      999_999_999.999,
      1e9 + 0.5,
      -1e9 - 0.5,
      2 ** -20,
    ];
    for (const n of odd) expect(text(n)).toBe(String(n));
    for (let i = 0; i < 200_000; i++) {
      const scale = 10 ** Math.floor(r() * 13);
      const k = Math.floor(r() * scale) * (r() < 0.1 ? -1 : 1);
      // Thousandths (latencies as the readers make them), and doubles that are none.
      const n = r() < 0.8 ? k / 1000 : (r() - 0.5) * scale;
      const got = text(n);
      if (got !== String(n)) expect(got).toBe(String(n));
    }
  });
});
