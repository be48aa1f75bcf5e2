import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { exchange } from '../capture/test-support';
import type { ExchangeRecord } from '../capture/types';
import { readRecordBatch, RecordBatchWriter } from './record-batch';

/** A record as plain data, byte fields as arrays, so equal content compares equal whatever the views. */
function plain(rec: ExchangeRecord): unknown {
  const bytes = (b: Uint8Array | null | undefined) => (b ? [...b] : b);
  return {
    ...rec,
    queryWire: bytes(rec.queryWire),
    responseWire: bytes(rec.responseWire),
    ...(rec.forwarded ? { forwarded: { ...rec.forwarded, response: bytes(rec.forwarded.response) } } : {}),
  };
}

const records: ExchangeRecord[] = [
  exchange({}, 1),
  exchange(
    { responseWire: null, size: 0, rcode: 'SERVFAIL', error: 'timeout', upstream: '', forwarded: null },
    2,
  ),
  exchange(
    {
      client: 'fe80::1',
      transport: 'tcp',
      qname: 'bücher.example',
      answers: '',
      watchRule: 'avira-telemetry',
      source: 'dnstap: unbound-1 via unix:/run/dnsw.sock',
      forwarded: {
        ok: true,
        id: 65_535,
        sentAt: 1_763_859_901_000.5,
        local: { address: '::1', port: 53_000 },
        response: Buffer.from([0xff, 0xfe, 1, 2, 3, 4, 5, 6]),
      },
    },
    3,
  ),
  exchange({ queryWire: new Uint8Array(0), qname: '.', qtype: 'TYPE65280' }, 4),
  // Non-ASCII after ASCII, and beyond the BMP: the ASCII copy stops and UTF-8 encoding takes over.
  exchange({ qname: 'printer-\u{1F5A8}.lan', answers: 'CNAME café.example' }, 6),
  // Numbered by the journal on the DNS thread: seq, time and offset travel with it (a negative offset too).
  exchange(
    { journaled: { journal: 7, seq: 2 ** 40 + 3, time: '2025-11-23T01:05:01.000-03:30', offset: -210 } },
    5,
  ),
];

describe('record batches', () => {
  it('take the journal number given beside the record', () => {
    const w = new RecordBatchWriter(16);
    const num = { journal: 3, seq: 42, time: '2025-11-23T01:05:01.000Z', offset: 0 };
    w.add(exchange({}, 1), num);
    w.add(exchange({}, 2), undefined);
    const { buffer, count } = w.take();
    const [a, b] = readRecordBatch(buffer, count);
    expect(a!.journaled).toEqual(num);
    expect(b!).not.toHaveProperty('journaled');
  });

  it('give back every field of every record, in order', () => {
    const w = new RecordBatchWriter(16);
    for (const r of records) w.add(r);
    expect(w.count).toBe(records.length);
    const { buffer, count } = w.take();
    expect(buffer.byteLength).toBeGreaterThan(0);
    expect(readRecordBatch(buffer, count).map(plain)).toEqual(records.map(plain));
    // take() starts afresh.
    expect(w.count).toBe(0);
    expect(w.size).toBe(0);
  });

  it('keep forwarded: null apart from no forwarded at all', () => {
    const w = new RecordBatchWriter();
    w.add(exchange({ forwarded: null }));
    w.add(exchange());
    const { buffer, count } = w.take();
    const [a, b] = readRecordBatch(buffer, count);
    expect(a!.forwarded).toBeNull();
    expect(b).not.toHaveProperty('forwarded');
  });

  it('cross a MessagePort as one moved buffer, and the batch left behind is empty', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const w = new RecordBatchWriter();
      for (let i = 0; i < 1000; i++) w.add(exchange({ qname: `host-${i}.example` }, i));
      const batch = w.take();
      const got = nextMessage<{ buffer: ArrayBuffer; count: number }>(port2);
      port1.postMessage(batch, [batch.buffer]);
      // Transferred, not copied: the sender's buffer is detached.
      expect(batch.buffer.byteLength).toBe(0);
      const msg = await got;
      const recs = readRecordBatch(msg.buffer, msg.count);
      expect(recs).toHaveLength(1000);
      expect(recs[999]!.qname).toBe('host-999.example');
      expect([...recs[999]!.queryWire]).toEqual([999 & 255, 1, 2, 3]);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('refuse a cut batch with a RangeError instead of reading past it', () => {
    const w = new RecordBatchWriter();
    w.add(exchange());
    const { buffer, count } = w.take();
    expect(() => readRecordBatch(buffer.slice(0, buffer.byteLength - 3), count)).toThrow(RangeError);
  });
});

function nextMessage<T>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => port.once('message', (m: T) => resolve(m)));
}
