import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../capture';
import { parseJournalLine } from '../capture/journal';
import { encodeJournalLine, journalLineMaxBytes } from '../capture/journal-encode';
import { journalLine } from '../capture/test-support';
import { decodeDnstap, ExchangeAssembler, UNANSWERED } from './decode';
import { dataFrames, dnstapIdentity, encodeExchange } from './encode';
import { readDnstapFile } from './file';
import { CONTROL, controlFrame, DNSTAP_CONTENT_TYPE, FrameReader } from './frame-streams';
import { DnstapIngest } from './ingest';
import { DnstapInput } from './input';
import { dnstap } from './proto/dnstap.js';

/** A query for example.com A with ID 0x1234, and its answer. */
const QUERY = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
const RESPONSE = Buffer.from(
  '123481800001000100000000076578616d706c6503636f6d0000010001c00c000100010000003c0004c0000201',
  'hex',
);
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const ID = dnstapIdentity('unbound-1', 'unbound 1.17.1');

function exchange(over: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    ts: T0,
    client: '192.168.0.23',
    clientPort: 53000,
    transport: 'udp',
    qname: 'example.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.1',
    latencyMs: 12.5,
    upstream: '',
    size: RESPONSE.length,
    error: '',
    watchRule: '',
    queryWire: QUERY,
    responseWire: RESPONSE,
    ...over,
  };
}

/** The client-side dnstap messages (CLIENT_QUERY, CLIENT_RESPONSE) a resolver would send for `rec`, decoded. */
function messagesOf(rec: ExchangeRecord): dnstap.Dnstap[] {
  const out: Uint8Array[] = [];
  encodeExchange(rec, ID, out, false);
  return out.map((b) => decodeDnstap(b)!);
}

function assemble(opts: ConstructorParameters<typeof ExchangeAssembler>[1] = {}) {
  const records: ExchangeRecord[] = [];
  return { records, assembler: new ExchangeAssembler((r) => records.push(r), opts) };
}

const SOURCE = 'dnstap: unbound-1 (unbound 1.17.1) via unix:/run/dnsw.sock';

describe('dnstap messages as exchanges', () => {
  it('pairs a query with its response into the record the forwarder would have made', () => {
    const { records, assembler } = assemble({ classify: (n) => (n === 'example.com' ? 'rule-1' : '') });
    const [q, r] = messagesOf(exchange());
    assembler.add(q!, SOURCE, 0);
    expect(records).toHaveLength(0);
    assembler.add(r!, SOURCE, 0);
    expect(records).toHaveLength(1);
    const { queryWire, responseWire, ...rest } = records[0]!;
    expect(rest).toEqual({
      ...exchange({ watchRule: 'rule-1', source: SOURCE }),
      queryWire: undefined,
      responseWire: undefined,
    } as unknown as typeof rest);
    expect(Buffer.from(queryWire)).toEqual(QUERY);
    expect(Buffer.from(responseWire!)).toEqual(RESPONSE);
  });

  it('counts a response whose query was not reported, with the question rebuilt as a query', () => {
    const { records, assembler } = assemble();
    assembler.add(messagesOf(exchange())[1]!, SOURCE, 0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ qname: 'example.com', rcode: 'NOERROR', answers: '192.0.2.1' });
    const q = Buffer.from(records[0]!.queryWire);
    expect(q.readUInt16BE(0)).toBe(0x1234);
    expect(q[2]! & 0x80).toBe(0); // QR off: a query
    expect(q.readUInt16BE(6)).toBe(0); // no answers
  });

  it('records a query without a response as unanswered once it waited, not before', () => {
    const { records, assembler } = assemble({ waitMs: 5000 });
    assembler.add(messagesOf(exchange({ responseWire: null }))[0]!, SOURCE, 1000);
    assembler.expire(5999);
    expect(records).toHaveLength(0);
    assembler.expire(6000);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ qname: 'example.com', rcode: '', error: UNANSWERED, size: 0 });
    expect(records[0]!.responseWire).toBeNull();
  });

  it('keeps apart clients that use the same ID, and bounds the waiting queries', () => {
    const { records, assembler } = assemble({ maxPending: 2 });
    for (const port of [1, 2, 3]) assembler.add(messagesOf(exchange({ clientPort: port }))[0]!, SOURCE, 0);
    // The third query pushed the oldest out as unanswered.
    expect(records.map((r) => [r.clientPort, r.error])).toEqual([[1, UNANSWERED]]);
    assembler.add(messagesOf(exchange({ clientPort: 3 }))[1]!, SOURCE, 0);
    expect(records.map((r) => [r.clientPort, r.error])).toEqual([
      [1, UNANSWERED],
      [3, ''],
    ]);
    assembler.flush(0);
    expect(records.map((r) => r.clientPort)).toEqual([1, 3, 2]);
  });

  it('takes IPv6 clients and TCP', () => {
    const { records, assembler } = assemble();
    for (const m of messagesOf(exchange({ client: '2001:db8::23', transport: 'tcp' })))
      assembler.add(m, SOURCE, 0);
    expect(records[0]).toMatchObject({ client: '2001:db8::23', transport: 'tcp' });
  });

  it('tells garbage from a well-formed frame without a DNS message', () => {
    expect(decodeDnstap(Buffer.from('not a protobuf at all \xff\xff\xff'))).toBeNull();
    expect(decodeDnstap(Buffer.alloc(0))).toBeNull();
    // A MESSAGE frame without its message: well-formed, nothing to record.
    expect(decodeDnstap(dnstap.Dnstap.encode({ type: dnstap.Dnstap.Type.MESSAGE }).finish())).toBeUndefined();
  });
});

describe('the journal source field', () => {
  it('is written for observed exchanges only, read back, and absent from older lines', () => {
    for (const rec of [exchange(), exchange({ source: SOURCE })]) {
      const text = journalLine(3, '2026-01-02T03:04:05.678Z', 'cap-1', rec);
      const buf = Buffer.alloc(journalLineMaxBytes('2026-01-02T03:04:05.678Z', 'cap-1', rec));
      const end = encodeJournalLine(buf, 0, 3, '2026-01-02T03:04:05.678Z', 'cap-1', rec);
      expect(buf.subarray(0, end).toString()).toBe(text);
      expect(parseJournalLine(text)?.source).toBe(rec.source);
      expect(text.includes('"src"')).toBe(rec.source !== undefined);
    }
  });
});

const dirs: string[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(os.tmpdir(), 'dnsw-dnstap-in-'));
  dirs.push(d);
  return d;
}

/** Encoded client-side messages for `n` exchanges, names n0.example … */
function wireMessages(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const qname = `n${i}.example`;
    const q = Buffer.concat([QUERY.subarray(0, 12), nameBytes(qname), Buffer.from([0, 1, 0, 1])]);
    q.writeUInt16BE(i, 0);
    const r = Buffer.from(q);
    r[2] = 0x81;
    r[3] = 0x80;
    encodeExchange(exchange({ qname, clientPort: 1000 + i, queryWire: q, responseWire: r }), ID, out, false);
  }
  return out;
}

function nameBytes(name: string): Buffer {
  return Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

async function startInput(target: DnstapInput['target'], allows = () => true) {
  const records: ExchangeRecord[] = [];
  const log: string[] = [];
  const ingest = new DnstapIngest({ sink: (r) => records.push(r) });
  const input = new DnstapInput(target, { ingest, allows, log: (m) => log.push(m) });
  expect((await input.listen()).state).toBe('listening');
  closers.push(async () => {
    await input.close();
    ingest.close();
  });
  return { records, log, input };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`never happened: ${what}`);
}

describe('a dnstap input', () => {
  it('speaks bidirectional Frame Streams: READY → ACCEPT, START, data, STOP → FINISH', async () => {
    const path = join(tempDir(), 'in.sock');
    const { records, log } = await startInput({ kind: 'unix', path });
    const client = net.createConnection({ path });
    const reader = new FrameReader();
    const controls: number[] = [];
    client.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) if (f.kind === 'control') controls.push(f.control.type);
    });
    client.write(controlFrame(CONTROL.READY, ['protobuf:other', DNSTAP_CONTENT_TYPE]));
    await until(() => controls.length === 1, 'ACCEPT');
    expect(controls).toEqual([CONTROL.ACCEPT]);
    client.write(
      Buffer.concat([
        controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]),
        dataFrames(wireMessages(50)),
        controlFrame(CONTROL.STOP),
      ]),
    );
    await until(() => controls.length === 2 && records.length === 50, 'FINISH and 50 records');
    expect(controls).toEqual([CONTROL.ACCEPT, CONTROL.FINISH]);
    expect(records.map((r) => r.qname)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}.example`));
    expect(records[0]!.source).toBe(`dnstap: unbound-1 (unbound 1.17.1) via unix:${path}`);
    expect(log).toEqual([]);
  });

  it('refuses a TCP peer outside the allowed ranges with one log line', async () => {
    const { log, input } = await startInput({ kind: 'tcp', host: '127.0.0.1', port: 0 }, () => false);
    const port = (input as unknown as { server: net.Server }).server.address() as net.AddressInfo;
    const client = net.createConnection({ host: '127.0.0.1', port: port.port });
    await new Promise((r) => client.once('close', r));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(
      /^dnstap: refused 127\.0\.0\.1:\d+ on tcp:127\.0\.0\.1:0: not in the allowed ranges/,
    );
  });
});

describe('readDnstapFile', () => {
  it('yields the exchanges of a Frame Streams file and rejects a file that is not dnstap', async () => {
    const dir = tempDir();
    const file = join(dir, 'capture.dnstap');
    writeFileSync(
      file,
      Buffer.concat([
        controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]),
        dataFrames(wireMessages(3000)),
        controlFrame(CONTROL.STOP),
      ]),
    );
    const names: string[] = [];
    for await (const rec of readDnstapFile(file)) {
      names.push(rec.qname);
      expect(rec.source).toBe('dnstap: unbound-1 (unbound 1.17.1) via file capture.dnstap');
    }
    expect(names).toEqual(Array.from({ length: 3000 }, (_, i) => `n${i}.example`));

    const bad = join(dir, 'bad.dnstap');
    writeFileSync(bad, dataFrames(wireMessages(1)));
    await expect(async () => {
      for await (const _ of readDnstapFile(bad)) void _;
    }).rejects.toThrow('bad.dnstap is not a dnstap file: it does not begin with a Frame Streams START');
  });
});

describe('a peer that never starts', () => {
  it('is dropped once the handshake time is up, with one log line', async () => {
    const { FakeClock } = await import('../fake-clock');
    const clock = new FakeClock();
    const path = join(tempDir(), 'idle.sock');
    const log: string[] = [];
    const ingest = new DnstapIngest({ sink: () => undefined, clock });
    const input = new DnstapInput(
      { kind: 'unix', path },
      { ingest, allows: () => true, log: (m) => log.push(m), clock },
    );
    await input.listen();
    closers.push(async () => {
      await input.close();
      ingest.close();
    });
    const client = net.createConnection({ path });
    const closed = new Promise((r) => client.once('close', r));
    // Read what the input sends (its ACCEPT), so the end of the stream is seen too.
    client.resume();
    client.write(controlFrame(CONTROL.READY, [DNSTAP_CONTENT_TYPE]));
    await until(() => input.peerCount === 1, 'the peer to be accepted');
    clock.advance(9_999);
    expect(log).toEqual([]);
    clock.advance(1);
    await closed;
    expect(log).toEqual([`dnstap: dropped a local peer on unix:${path}: sent no START within 10 s`]);
  });
});
