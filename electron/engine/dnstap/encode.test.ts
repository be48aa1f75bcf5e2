import { describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../capture';
import { dataFrames, dnstapIdentity, DnstapWriter, encodeExchange } from './encode';
import { encodeExchangeReference } from './encode-reference';
import { dnstap } from './proto/dnstap.js';

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENTS = [
  '192.168.0.23',
  '10.0.0.1',
  '::1',
  '2001:db8::23',
  'fe80::1%eth0',
  '::ffff:192.0.2.9',
  '0.0.0.0',
];
const UPSTREAMS = ['1.1.1.1:53', '[2620:fe::fe]:53', '9.9.9.9:5353', '127.0.0.1:65535', '[::1]:1'];
const LOCALS = ['', '0.0.0.0', '192.168.0.2', '2001:db8::2', '::'];
/** Message sizes around the varint length boundaries (one, two and three bytes) and DNS's limits. */
const SIZES = [0, 1, 2, 12, 29, 127, 128, 512, 1232, 16383, 16384, 65535];

function bytes(rand: () => number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (rand() * 256) | 0;
  return b;
}

function pick<T>(rand: () => number, from: readonly T[]): T {
  return from[Math.floor(rand() * from.length)]!;
}

/** One exchange of a random shape: answered, forwarded, timed out (no response), SERVFAIL here, … */
function randomExchange(rand: () => number): ExchangeRecord {
  const ts = Date.UTC(2026, 0, 1) + rand() * 1e10;
  const latencyMs = pick(rand, [0, 0.001, 12.5, 999.9999, 5000, rand() * 3000]);
  const queryWire = bytes(rand, pick(rand, SIZES));
  const shape = Math.floor(rand() * 4);
  const responseWire = shape === 0 ? null : bytes(rand, pick(rand, SIZES));
  const forwarded =
    shape >= 2
      ? {
          ok: true as const,
          response: shape === 3 ? bytes(rand, pick(rand, SIZES)) : responseWire!,
          id: Math.floor(rand() * 65536),
          sentAt: ts + rand() * 2,
          local: { address: pick(rand, LOCALS), port: Math.floor(rand() * 65536) },
        }
      : pick(rand, [null, undefined]);
  return {
    ts,
    client: pick(rand, CLIENTS),
    clientPort: pick(rand, [0, 53, 127, 128, 16384, 65535, Math.floor(rand() * 65536)]),
    transport: rand() < 0.5 ? 'udp' : 'tcp',
    qname: 'example.com',
    qtype: 'A',
    rcode: responseWire === null ? '' : pick(rand, ['NOERROR', 'SERVFAIL', 'NXDOMAIN']),
    answers: '',
    latencyMs,
    upstream: forwarded ? pick(rand, UPSTREAMS) : pick(rand, ['', '1.1.1.1:53']),
    size: responseWire?.length ?? 0,
    error: responseWire === null ? 'timeout' : '',
    watchRule: '',
    queryWire,
    responseWire,
    forwarded,
  };
}

const IDENTITIES = [
  dnstapIdentity('witness-test', '1.2.3'),
  dnstapIdentity('', ''),
  dnstapIdentity('h'.repeat(200), `DNS Witness ${'9'.repeat(130)}`),
];

describe('DnstapWriter', () => {
  it('writes the same bytes as the protobufjs-generated encoder, for 3,000 exchanges of every shape', () => {
    const rand = prng(18);
    const writer = new DnstapWriter(64); // small, so that it grows on the way
    let messages = 0;
    for (let i = 0; i < 3000; i++) {
      const rec = randomExchange(rand);
      const id = IDENTITIES[i % IDENTITIES.length]!;
      const forwarder = i % 5 !== 0;
      const expected: Uint8Array[] = [];
      const n = encodeExchangeReference(rec, id, expected, forwarder);
      expect(writer.exchange(rec, id, forwarder)).toBe(n);
      const got = writer.take();
      if (!got.equals(dataFrames(expected))) {
        // The first differing message, decoded, says which field is wrong.
        const mine: Uint8Array[] = [];
        encodeExchange(rec, id, mine, forwarder);
        expect({ i, messages: mine.map((m) => dnstap.Dnstap.decode(m)) }).toEqual({
          i,
          messages: expected.map((m) => dnstap.Dnstap.decode(m)),
        });
      }
      expect(got.equals(dataFrames(expected))).toBe(true);
      messages += n;
    }
    // Every shape came up: client-only, with and without response, and the forwarder side.
    expect(messages).toBeGreaterThan(3000 * 2);
  });

  it('frames many exchanges in one buffer, message by message as encodeExchange gives them', () => {
    const rand = prng(1);
    const writer = new DnstapWriter();
    const id = IDENTITIES[0]!;
    const expected: Uint8Array[] = [];
    const single: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const rec = randomExchange(rand);
      encodeExchangeReference(rec, id, expected);
      encodeExchange(rec, id, single);
      writer.exchange(rec, id);
    }
    expect(writer.size).toBeGreaterThan(1024 * 1024);
    expect(writer.take().equals(dataFrames(expected))).toBe(true);
    expect(writer.size).toBe(0);
    // The buffer that grew for this batch is let go; the next batch is encoded as well.
    const next: Uint8Array[] = [];
    const rec = randomExchange(rand);
    encodeExchangeReference(rec, id, next);
    writer.exchange(rec, id);
    expect(writer.take().equals(dataFrames(next))).toBe(true);
    expect(single.map((m) => Buffer.from(m).toString('hex'))).toEqual(
      expected.map((m) => Buffer.from(m).toString('hex')),
    );
  });

  it('leaves the record bytes as recorded, and writes nothing for a client that is not an address', () => {
    const rand = prng(7);
    const rec = randomExchange(rand);
    const rec2: ExchangeRecord = {
      ...rec,
      queryWire: Buffer.from('1234abcd', 'hex'),
      forwarded: {
        ok: true,
        response: Buffer.from('1234', 'hex'),
        id: 0xbeef,
        sentAt: rec.ts,
        local: { address: '', port: 1 },
      },
      upstream: '1.1.1.1:53',
    };
    const writer = new DnstapWriter();
    expect(writer.exchange(rec2, IDENTITIES[0]!)).toBeGreaterThanOrEqual(3);
    expect(Buffer.from(rec2.queryWire).toString('hex')).toBe('1234abcd');
    expect(writer.take().includes(Buffer.from('beefabcd', 'hex'))).toBe(true);
    expect(writer.exchange({ ...rec, client: 'not-an-address' }, IDENTITIES[0]!)).toBe(0);
    expect(writer.size).toBe(0);
  });

  it('appends nothing of an exchange it cannot encode', () => {
    const writer = new DnstapWriter();
    const rand = prng(3);
    writer.exchange(randomExchange(rand), IDENTITIES[0]!);
    const before = writer.size;
    const broken = { ...randomExchange(rand), responseWire: Buffer.alloc(3), forwarded: null };
    // A response without its query: the record is malformed, the frames already written stay whole.
    expect(() =>
      writer.exchange({ ...broken, queryWire: undefined as unknown as Uint8Array }, IDENTITIES[0]!),
    ).toThrow();
    expect(writer.size).toBe(before);
  });
});
