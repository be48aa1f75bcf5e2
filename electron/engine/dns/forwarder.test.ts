import type dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { FixedRandom } from '../fake-clock';
import { AccessList, DEFAULT_ALLOWED } from './acl';
import { TCP_MESSAGE_MS, TCP_PER_CLIENT } from './forwarder';
import { rcodeName, rcodeOf } from './wire';
import { ask, clientSocket, FakeUpstream, startForwarder, type TestForwarder } from './test-support';

const TIMEOUT_MS = 1000;

let cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function upstream(address: string): Promise<FakeUpstream> {
  const u = await FakeUpstream.start(address);
  cleanup.push(() => u.close());
  return u;
}

async function forwarder(...args: Parameters<typeof startForwarder>): Promise<TestForwarder> {
  const f = await startForwarder(...args);
  cleanup.push(() => f.close());
  return f;
}

async function client(host?: string): Promise<dgram.Socket> {
  const s = await clientSocket(host);
  cleanup.push(() => {
    s.close();
  });
  return s;
}

function addresses(answers: readonly Answer[] | undefined): unknown[] {
  return (answers ?? []).map((a) => (a.type === 'A' ? a.data : a.type));
}

describe('failover', () => {
  it('asks the second upstream when the first stays silent, exactly at the timeout', async () => {
    const a = await upstream('192.0.2.1');
    const b = await upstream('192.0.2.2');
    a.mode = 'silent';
    const f = await forwarder([a, b]);
    const c = await client();

    const answer = ask(c, f.port, 'www.example.test');
    await a.waitFor(() => a.queries.length === 1);
    f.clock.advance(TIMEOUT_MS - 1);
    // The timeout sweep runs inside advance(): nothing may have moved on yet.
    expect(b.queries).toHaveLength(0);
    expect(f.sink.records).toHaveLength(0);
    f.clock.advance(1);
    const res = await answer;

    expect(res.rcode).toBe('NOERROR');
    expect(res.id).toBe(0xbeef);
    expect(addresses(res.answers)).toEqual(['192.0.2.2']);
    expect(a.queries.map((q) => q.name)).toEqual(['www.example.test']);
    expect(b.queries.map((q) => q.name)).toEqual(['www.example.test']);
    const [rec] = f.sink.records;
    expect(rec).toMatchObject({ upstream: b.name, rcode: 'NOERROR', error: '', latencyMs: TIMEOUT_MS });
    expect(f.forwarder.upstreamStatus()).toMatchObject([
      { address: a.name, queries: 1, failures: 1, lastError: 'timeout', healthy: true },
      { address: b.name, queries: 1, failures: 0 },
    ]);
  });

  it('tries an upstream that keeps failing last, and first again once its down time is over', async () => {
    const a = await upstream('192.0.2.1');
    const b = await upstream('192.0.2.2');
    a.mode = 'REFUSED';
    const f = await forwarder([a, b]);
    const c = await client();

    // Three answers in a row that are no use (DOWN_AFTER_FAILURES): A is marked down.
    for (let i = 0; i < 3; i++) {
      const res = await ask(c, f.port, `q${i}.example.test`);
      expect(addresses(res.answers)).toEqual(['192.0.2.2']);
    }
    expect(a.queries).toHaveLength(3);
    await f.warned('upstream-failing');
    expect(f.forwarder.upstreamStatus()[0]).toMatchObject({ healthy: false, failures: 3 });

    // Down: B is asked first and answers, so A is not asked at all.
    f.clock.advance(15_000 - 1);
    const res = await ask(c, f.port, 'down.example.test');
    expect(addresses(res.answers)).toEqual(['192.0.2.2']);
    expect(a.queries).toHaveLength(3);
    expect(b.queries.map((q) => q.name)).toContain('down.example.test');

    // DOWN_FOR_MS after the third failure A leads again; it has recovered and answers itself.
    f.clock.advance(1);
    a.mode = 'answer';
    const back = await ask(c, f.port, 'back.example.test');
    expect(addresses(back.answers)).toEqual(['192.0.2.1']);
    expect(a.queries.at(-1)?.name).toBe('back.example.test');
    expect(b.queries.map((q) => q.name)).not.toContain('back.example.test');
    expect(f.forwarder.upstreamStatus()[0]).toMatchObject({ healthy: true });
  });

  it('says what clients really get from a lone upstream that refuses, and from one that is silent', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'REFUSED';
    const f = await forwarder([a]);
    const c = await client();
    for (let i = 0; i < 3; i++) expect((await ask(c, f.port, `r${i}.example.test`)).rcode).toBe('REFUSED');
    expect(f.warnings.filter((w) => w.code === 'upstream-failing').map((w) => w.message)).toEqual([
      `Upstream ${a.name} is failing (answered REFUSED); clients get its REFUSED answers.`,
    ]);
    const b = await upstream('192.0.2.2');
    b.mode = 'silent';
    const g = await forwarder([b]);
    for (let i = 0; i < 3; i++) {
      const answer = ask(c, g.port, `s${i}.example.test`);
      await b.waitFor(() => b.queries.length === i + 1);
      g.clock.advance(1000);
      expect((await answer).rcode).toBe('SERVFAIL');
    }
    expect(g.warnings.filter((w) => w.code === 'upstream-failing').map((w) => w.message)).toEqual([
      `Upstream ${b.name} is failing (timeout); clients get SERVFAIL.`,
    ]);
  });

  it('gives the client the SERVFAIL an upstream sent when no other upstream does better', async () => {
    const a = await upstream('192.0.2.1');
    const b = await upstream('192.0.2.2');
    a.mode = 'SERVFAIL';
    b.mode = 'REFUSED';
    const f = await forwarder([a, b]);
    const res = await ask(await client(), f.port, 'broken.example.test');
    expect(res.rcode).toBe('SERVFAIL');
    expect(a.queries).toHaveLength(1);
    expect(b.queries).toHaveLength(1);
    // The first unhelpful answer is kept, so the record names the upstream that sent it.
    expect(f.sink.records[0]).toMatchObject({ upstream: a.name, rcode: 'SERVFAIL' });
  });
});

describe('timeouts', () => {
  it('answers SERVFAIL when the only upstream stays silent, at the timeout on the clock', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'silent';
    const f = await forwarder([a]);
    const answer = ask(await client(), f.port, 'slow.example.test', { id: 0x0102 });
    await a.waitFor(() => a.queries.length === 1);

    f.clock.advance(TIMEOUT_MS - 1);
    expect(f.sink.records).toHaveLength(0);
    f.clock.advance(1);
    expect(f.sink.records).toHaveLength(1);
    expect(f.sink.records[0]).toMatchObject({ rcode: 'SERVFAIL', error: 'timeout', latencyMs: TIMEOUT_MS });

    const res = await answer;
    expect(res.rcode).toBe('SERVFAIL');
    expect(res.id).toBe(0x0102);
    expect(res.questions).toEqual([{ type: 'A', class: 'IN', name: 'slow.example.test' }]);
    expect(f.forwarder.counters()).toMatchObject({ servfail: 1, inFlight: 0 });
  });

  it('gives each upstream its own timeout: two silent upstreams mean SERVFAIL after both', async () => {
    const a = await upstream('192.0.2.1');
    const b = await upstream('192.0.2.2');
    a.mode = 'silent';
    b.mode = 'silent';
    const f = await forwarder([a, b]);
    const answer = ask(await client(), f.port, 'slower.example.test');
    await a.waitFor(() => a.queries.length === 1);
    f.clock.advance(TIMEOUT_MS);
    await b.waitFor(() => b.queries.length === 1);
    f.clock.advance(TIMEOUT_MS - 1);
    expect(f.sink.records).toHaveLength(0);
    f.clock.advance(1);
    expect((await answer).rcode).toBe('SERVFAIL');
    expect(f.sink.records[0]).toMatchObject({ error: 'timeout', latencyMs: 2 * TIMEOUT_MS });
  });
});

describe('loop detection', () => {
  it('stops using an upstream that sends our probe back, and uses it again once the loop is gone', async () => {
    const router = await upstream('192.0.2.1');
    const resolver = await upstream('192.0.2.2');
    router.mode = 'bounce';
    const f = await forwarder([router, resolver]);
    // The probe sent by listen() went out before the port was known; the next one comes back to us.
    await router.waitFor(() => router.probes.length === 1);
    router.bounceTo = f.port;
    f.clock.advance(60_000);
    await f.warned('loop-detected');
    expect(router.probes).toHaveLength(2);
    expect(f.warnings.find((w) => w.code === 'loop-detected')?.message).toContain(router.name);
    // The probe is our own query: answered SERVFAIL, never forwarded, never recorded.
    expect(f.forwarder.counters().loops).toBe(1);
    expect(f.sink.records).toHaveLength(0);
    expect(resolver.queries).toHaveLength(0);

    const c = await client();
    const res = await ask(c, f.port, 'www.example.test');
    expect(addresses(res.answers)).toEqual(['192.0.2.2']);
    expect(router.queries).toHaveLength(0);
    expect(f.sink.records[0]).toMatchObject({ upstream: resolver.name });

    // The router is fixed: the probe at 120 s gets an ordinary answer, and the loop is trusted 70 s from
    // its detection (LOOP_TRUST_MS), so at 130 s the router leads again.
    router.mode = 'answer';
    f.clock.advance(70_000 - 1);
    await router.waitFor(() => router.probes.length === 3);
    const still = await ask(c, f.port, 'still.example.test');
    expect(addresses(still.answers)).toEqual(['192.0.2.2']);
    f.clock.advance(1);
    const again = await ask(c, f.port, 'again.example.test');
    expect(addresses(again.answers)).toEqual(['192.0.2.1']);
    expect(router.queries.map((q) => q.name)).toEqual(['again.example.test']);
  });

  it('answers SERVFAIL when the only upstream loops', async () => {
    const router = await upstream('192.0.2.1');
    router.mode = 'bounce';
    const f = await forwarder([router]);
    await router.waitFor(() => router.probes.length === 1);
    router.bounceTo = f.port;
    f.clock.advance(60_000);
    await f.warned('loop-detected');
    const res = await ask(await client(), f.port, 'www.example.test');
    expect(res.rcode).toBe('SERVFAIL');
    expect(router.queries).toHaveLength(0);
    expect(f.sink.records[0]).toMatchObject({ rcode: 'SERVFAIL', error: 'loop', upstream: '' });
  });
});

describe('in-flight cap', () => {
  it('answers SERVFAIL at once above maxInFlight, without asking the upstream', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'hold';
    const f = await forwarder([a], { maxInFlight: 2 });
    const c1 = await client();
    const c2 = await client();
    const c3 = await client();
    const first = ask(c1, f.port, 'one.example.test');
    const second = ask(c2, f.port, 'two.example.test');
    await a.waitFor(() => a.queries.length === 2);
    expect(f.forwarder.counters().inFlight).toBe(2);

    const third = await ask(c3, f.port, 'three.example.test');
    expect(third.rcode).toBe('SERVFAIL');
    expect(a.queries.map((q) => q.name)).not.toContain('three.example.test');
    expect(f.forwarder.counters()).toMatchObject({ overload: 1, inFlight: 2 });
    expect(f.sink.records).toMatchObject([{ qname: 'three.example.test', error: 'overload' }]);
    await f.warned('overload');

    a.release();
    expect(addresses((await first).answers)).toEqual(['192.0.2.1']);
    expect(addresses((await second).answers)).toEqual(['192.0.2.1']);
    expect(f.forwarder.counters()).toMatchObject({ inFlight: 0, answered: 2, servfail: 1 });
  });
});

describe('truncation', () => {
  it('fetches a truncated answer again over TCP and gives the client all of it (RFC 7766 §5)', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'truncate';
    const f = await forwarder([a]);
    const res = await ask(await client(), f.port, 'big.example.test', { udpSize: 4096 });
    expect(res.flag_tc).toBe(false);
    expect(res.answers).toHaveLength(40);
    expect(res.wire.length).toBeGreaterThan(512);
    expect(a.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    expect(f.sink.records[0]).toMatchObject({ upstream: a.name, rcode: 'NOERROR', size: res.wire.length });
  });

  it('passes the truncated answer on when the whole one would not fit the client’s UDP size', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'truncate';
    const f = await forwarder([a]);
    // No EDNS: 512 bytes (RFC 1035 §4.2.1), so the client must retry over TCP itself.
    const res = await ask(await client(), f.port, 'big.example.test');
    expect(res.flag_tc).toBe(true);
    expect(res.answers).toHaveLength(0);
    expect(a.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });
});

describe('query IDs', () => {
  it('keeps concurrent clients with the same ID apart, and never reuses an upstream ID in flight', async () => {
    const a = await upstream('192.0.2.1');
    a.mode = 'hold';
    // A random source that always says the same: every ID after the first per socket is a collision.
    const f = await forwarder([a], { random: new FixedRandom([0x1234]) });
    const n = 40;
    const clients = await Promise.all(Array.from({ length: n }, () => client()));
    const answers = clients.map((c, i) => ask(c, f.port, `c${i}.example.test`, { id: 0xbeef }));
    await a.waitFor(() => a.queries.length === n);

    // Connected sockets (one source port each) share the upstream: (port, ID) tells the replies apart.
    const keys = a.queries.map((q) => `${q.port}/${q.id}`);
    expect(new Set(keys).size).toBe(n);
    expect(a.queries.some((q) => q.id === 0x1234)).toBe(true);

    a.release();
    const got = await Promise.all(answers);
    got.forEach((res, i) => {
      expect(res.id).toBe(0xbeef);
      expect(res.answers?.map((x) => x.name)).toEqual([`c${i}.example.test`]);
      expect(addresses(res.answers)).toEqual(['192.0.2.1']);
    });
    expect(f.forwarder.counters()).toMatchObject({ answered: n, servfail: 0, inFlight: 0 });
  });

  it('puts an ID from the random source on the wire and gives the client its own back', async () => {
    const a = await upstream('192.0.2.1');
    const f = await forwarder([a], { random: new FixedRandom([0x0a0b]) });
    const c = await client();
    expect((await ask(c, f.port, 'one.example.test', { id: 7 })).id).toBe(7);
    expect((await ask(c, f.port, 'two.example.test', { id: 8 })).id).toBe(8);
    expect(a.received.map((q) => q.id)).toEqual([0x0a0b, 0x0a0b, 0x0a0b]);
  });
});

describe('access control', () => {
  it('answers REFUSED to a client outside the allowed ranges, and never forwards its query', async () => {
    const a = await upstream('192.0.2.1');
    const f = await forwarder([a], { acl: new AccessList(['10.0.0.0/8', '127.0.0.1/32']) });
    const outsider = await client('127.0.0.2');
    const res = await ask(outsider, f.port, 'www.example.test', { id: 0x4242 });
    expect(res.rcode).toBe('REFUSED');
    expect(res.id).toBe(0x4242);
    expect(res.answers).toHaveLength(0);
    expect(a.queries).toHaveLength(0);
    expect(f.sink.records).toHaveLength(0);
    expect(f.forwarder.counters()).toMatchObject({ refused: 1, queries: 0 });
    await f.warned('refused-client');
    expect(f.warnings.find((w) => w.code === 'refused-client')?.message).toContain('--allow 127.0.0.2/32');

    // 127.0.0.1/32 is allowed (as with --allow 127.0.0.1/32): answered from the upstream.
    const ok = await ask(await client('127.0.0.1'), f.port, 'www.example.test');
    expect(addresses(ok.answers)).toEqual(['192.0.2.1']);
    expect(a.queries).toHaveLength(1);
  });

  it('answers loopback clients with the default ranges', async () => {
    const a = await upstream('192.0.2.1');
    const f = await forwarder([a], { acl: new AccessList(DEFAULT_ALLOWED) });
    const res = await ask(await client('127.0.0.2'), f.port, 'www.example.test');
    expect(res.rcode).toBe('NOERROR');
    expect(f.sink.records[0]).toMatchObject({ client: '127.0.0.2' });
  });
});

/** A TCP connection from `localAddress` to the forwarder, resolved once connected. */
function tcpConnect(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
    cleanup.push(() => {
      s.destroy();
    });
  });
}

/** Resolves when the forwarder has closed `s` (or at once if it already has). */
function closedByServer(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve();
    s.resume();
    s.once('close', () => resolve());
    s.once('end', () => resolve());
  });
}

/** One query over TCP on a fresh connection from `localAddress`: the answer's rcode. */
async function askTcp(port: number, name: string, localAddress = '127.0.0.1'): Promise<string> {
  const s = await tcpConnect(port, localAddress);
  const q = dnsPacket.streamEncode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
  s.write(q);
  const buf = await new Promise<Buffer>((resolve, reject) => {
    let got = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 2 && got.length >= got.readUInt16BE(0) + 2) resolve(got);
    });
    s.once('close', () => reject(new Error(`connection from ${localAddress} closed without an answer`)));
  });
  s.destroy();
  return rcodeName(rcodeOf(buf.subarray(2)));
}

describe('TCP fairness', () => {
  it('closes a connection whose query has not arrived whole within 3 s of its first byte, however it trickles', async () => {
    const u = await upstream('192.0.2.1');
    const f = await forwarder([u]);
    const slow = await tcpConnect(f.port);
    const closed = closedByServer(slow);
    const q = dnsPacket.streamEncode({
      type: 'query',
      id: 1,
      questions: [{ type: 'A', name: 'slow.example.test' }],
    });
    // One byte at a time, each before the idle timer would fire: only the whole-message deadline stops it.
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((r) => slow.write(q.subarray(i, i + 1), () => r()));
      await new Promise((r) => setTimeout(r, 20));
      f.clock.advance(TCP_MESSAGE_MS / 5 - 1);
    }
    expect(slow.destroyed).toBe(false);
    f.clock.advance(10);
    await closed;
    // Everyone else is still answered over TCP.
    expect(await askTcp(f.port, 'www.example.test')).toBe('NOERROR');
  });

  it('caps the connections of one address, and lets other addresses in while it holds them', async () => {
    const u = await upstream('192.0.2.1');
    const f = await forwarder([u], { tcpPerClient: 3 });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await tcpConnect(f.port, '127.0.0.2'));
    const fourth = await tcpConnect(f.port, '127.0.0.2');
    await closedByServer(fourth);
    for (const s of held) expect(s.destroyed).toBe(false);
    expect(await askTcp(f.port, 'other.example.test', '127.0.0.3')).toBe('NOERROR');
  });

  it('makes room for a newcomer when slow clients from many addresses hold every slot, idle ones first', async () => {
    const u = await upstream('192.0.2.1');
    const f = await forwarder([u]);
    // 256 slots (MAX_TCP_CONNECTIONS) taken by 32 addresses × 8 connections that sent nothing.
    const held: net.Socket[] = [];
    for (let a = 0; a < 32; a++)
      for (let i = 0; i < TCP_PER_CLIENT; i++) held.push(await tcpConnect(f.port, `127.0.1.${a + 1}`));
    for (let round = 0; round < 3; round++)
      expect(await askTcp(f.port, `new${round}.example.test`)).toBe('NOERROR');
    await new Promise((r) => setTimeout(r, 50));
    expect(held.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThanOrEqual(1);
  });
});
