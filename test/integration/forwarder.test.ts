/**
 * The forwarder against a real upstream (Debian's dnsmasq serving local test data on loopback), queried by
 * real clients (dig, kdig) and raw sockets. Answers through the forwarder must equal the upstream's own.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIG_TXT, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { TestDnsServer } from '../helpers/dns-server';
import { startForwarder, type RunningForwarder } from '../helpers/forwarder';
import { dig, freePort, requireTool, run, waitFor } from '../helpers/tools';

/** dns-packet decodes the rcode, but its type definitions omit it. */
const rcodeOf = (d: object | undefined) => (d as { rcode?: string } | undefined)?.rcode;

/** dig's answer section and status, without TTLs and query times, for comparing two servers. */
async function answerOf(port: number, name: string, type: string, extra: string[] = []) {
  const r = await dig(port, name, type, [
    '+noall',
    '+answer',
    '+comments',
    '+nottlid',
    '+nocookie',
    ...extra,
  ]);
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? `no status (exit ${r.code}): ${r.stdout}${r.stderr}`;
  const flags = /flags: ([a-z ]+);/.exec(r.stdout)?.[1]?.trim() ?? '';
  const answers = r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .sort();
  return { status, flags, answers };
}

describe('forwarding through a real upstream', () => {
  let upstream: Dnsmasq;
  let fwd: RunningForwarder;

  beforeAll(async () => {
    requireTool('kdig', 'knot-dnsutils');
    upstream = await startDnsmasq();
    fwd = await startForwarder([{ host: '127.0.0.1', port: upstream.port }]);
  });
  afterAll(async () => {
    await fwd?.close();
    await upstream?.stop();
  });

  it.each([
    ['www.example.test', 'A'],
    ['www.example.test', 'AAAA'],
    ['txt.example.test', 'TXT'],
    ['example.test', 'MX'],
    ['missing.example.test', 'A'],
    ['x.wild.example.test', 'A'],
  ])('%s %s: same answer as the upstream itself', async (name, type) => {
    const direct = await answerOf(upstream.port, name, type);
    const via = await answerOf(fwd.port, name, type);
    expect(via).toEqual(direct);
    expect(direct.status === 'NOERROR' ? direct.answers.length : 1).toBeGreaterThan(0);
    const rec = fwd.sink.records.findLast((r) => r.qname === name && r.qtype === type);
    expect(rec).toMatchObject({ client: '127.0.0.1', transport: 'udp', rcode: direct.status, error: '' });
    expect(rec?.upstream).toBe(`127.0.0.1:${upstream.port}`);
  });

  it('records NXDOMAIN as such', async () => {
    const via = await answerOf(fwd.port, 'nope.example.test', 'A');
    expect(via.status).toBe('NXDOMAIN');
    expect(fwd.sink.records.findLast((r) => r.qname === 'nope.example.test')?.rcode).toBe('NXDOMAIN');
  });

  it('summarises answers in the record', async () => {
    await dig(fwd.port, 'www.example.test', 'AAAA');
    expect(
      fwd.sink.records.findLast((r) => r.qname === 'www.example.test' && r.qtype === 'AAAA')?.answers,
    ).toBe('2001:db8::10');
  });

  it('answers over 512 bytes: whole over EDNS UDP, TC then TCP without EDNS (dig retries itself)', async () => {
    const edns = await answerOf(fwd.port, 'big.example.test', 'TXT');
    expect(edns.answers.join('')).toContain(BIG_TXT[2]);
    expect(edns.flags).not.toContain('tc');

    const before = fwd.sink.records.length;
    const classic = await answerOf(fwd.port, 'big.example.test', 'TXT', ['+noedns']);
    expect(classic.answers.join('')).toContain(BIG_TXT[2]);
    const recs = fwd.sink.records.slice(before).filter((r) => r.qname === 'big.example.test');
    expect(recs.map((r) => r.transport)).toEqual(['udp', 'tcp']);
    expect(recs[0]!.size).toBeLessThanOrEqual(512);
    expect(recs[1]!.size).toBeGreaterThan(512);
  });

  it('a TCP query is answered over TCP', async () => {
    const via = await answerOf(fwd.port, 'www.example.test', 'A', ['+tcp']);
    expect(via.answers).toEqual(['www.example.test. IN A 192.0.2.10']);
    expect(fwd.sink.records.findLast((r) => r.qname === 'www.example.test')?.transport).toBe('tcp');
  });

  it('serves several pipelined queries on one TCP connection (RFC 7766)', async () => {
    const names = ['www.example.test', 'router.example.test', 'missing.example.test', 'x.wild.example.test'];
    const frames = names.map((name, i) => {
      const q = dnsPacket.encode({
        id: 100 + i,
        type: 'query',
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      });
      const f = Buffer.alloc(q.length + 2);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      return f;
    });
    const answers = await new Promise<Map<number, dnsPacket.Packet>>((resolve, reject) => {
      const got = new Map<number, dnsPacket.Packet>();
      const s = net.connect(fwd.port, '127.0.0.1', () => s.write(Buffer.concat(frames)));
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const d = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          got.set(d.id ?? -1, d);
        }
        if (got.size === names.length) {
          s.end();
          resolve(got);
        }
      });
      s.on('error', reject);
      setTimeout(() => reject(new Error(`only ${got.size} answers`)), 5000);
    });
    expect(answers.get(100)?.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.10' });
    expect(answers.get(101)?.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1' });
    expect(rcodeOf(answers.get(102))).toBe('NXDOMAIN');
    expect(answers.get(103)?.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.99' });
  });

  it('kdig over UDP and TCP gets the upstream answer', async () => {
    for (const mode of ['+notcp', '+tcp']) {
      const r = await run('kdig', [
        '@127.0.0.1',
        '-p',
        String(fwd.port),
        mode,
        '+short',
        'router.example.test',
        'A',
      ]);
      expect(r.stdout.trim()).toBe('192.0.2.1');
    }
  });

  it('200 concurrent queries with the same client ID from different sockets each get their own answer', async () => {
    // Distinct answers per name prove no answer goes to the wrong socket despite the colliding IDs.
    const extra = Array.from(
      { length: 200 },
      (_, i) => `--host-record=h${i}.many.test,10.7.${i >> 8}.${i & 255}`,
    );
    const many = await startDnsmasq(extra);
    const f = await startForwarder([{ host: '127.0.0.1', port: many.port }]);
    try {
      const results = await Promise.all(
        Array.from(
          { length: 200 },
          (_, i) =>
            new Promise<string>((resolve, reject) => {
              const s = dgram.createSocket('udp4');
              const q = dnsPacket.encode({
                id: 0x4242,
                type: 'query',
                flags: dnsPacket.RECURSION_DESIRED,
                questions: [{ type: 'A', name: `h${i}.many.test` }],
              });
              const timer = setTimeout(() => {
                s.close();
                reject(new Error(`no answer for h${i}`));
              }, 5000);
              s.on('message', (m) => {
                clearTimeout(timer);
                s.close();
                const d = dnsPacket.decode(m);
                resolve(`${d.id}:${(d.answers?.[0] as { data?: string } | undefined)?.data}`);
              });
              s.send(q, f.port, '127.0.0.1');
            }),
        ),
      );
      results.forEach((r, i) => expect(r).toBe(`${0x4242}:10.7.${i >> 8}.${i & 255}`));
      expect(f.sink.records.filter((r) => r.qname.endsWith('.many.test'))).toHaveLength(200);
    } finally {
      await f.close();
      await many.stop();
    }
  });

  it('when the upstream truncates, fetches the answer over TCP and gives the client the whole answer over UDP', async () => {
    const small = await startDnsmasq(['--edns-packet-max=512']);
    const f = await startForwarder([{ host: '127.0.0.1', port: small.port }]);
    try {
      // +ignore: dig does not retry over TCP itself, so what we see is exactly what came over UDP.
      const direct = await answerOf(small.port, 'big.example.test', 'TXT', ['+ignore', '+bufsize=1232']);
      expect(direct.flags).toContain('tc');
      const via = await answerOf(f.port, 'big.example.test', 'TXT', ['+ignore', '+bufsize=1232']);
      expect(via.flags).not.toContain('tc');
      expect(via.answers.join('')).toContain(BIG_TXT[2]);
      expect(f.sink.records.at(-1)).toMatchObject({ transport: 'udp', qname: 'big.example.test' });
    } finally {
      await f.close();
      await small.stop();
    }
  });
});

describe('pass-through of EDNS', () => {
  it('forwards EDNS options and the DO bit untouched (kdig +dnssec +nsid)', async () => {
    const server = await new TestDnsServer().start();
    const f = await startForwarder([{ host: '127.0.0.1', port: server.port }]);
    try {
      const r = await run('kdig', [
        '@127.0.0.1',
        '-p',
        String(f.port),
        '+dnssec',
        '+nsid',
        '+ednsopt=65001:c0ffee',
        'do.example.test',
        'A',
      ]);
      expect(r.stdout).toContain('192.0.2.200');
      const got = server.received
        .map((m) => dnsPacket.decode(m))
        .find((d) => d.questions?.[0]?.name === 'do.example.test');
      const opt = got?.additionals?.find((a) => a.type === 'OPT') as
        { flags?: number; options?: { code: number; data?: Buffer }[] } | undefined;
      expect(opt).toBeDefined();
      expect((opt!.flags ?? 0) & dnsPacket.DNSSEC_OK).toBe(dnsPacket.DNSSEC_OK);
      expect(opt!.options?.map((o) => o.code).sort((a, b) => a - b)).toEqual([3, 65001]);
      expect(opt!.options?.find((o) => o.code === 65001)?.data?.toString('hex')).toBe('c0ffee');
    } finally {
      await f.close();
      await server.stop();
    }
  });
});

describe('failures', () => {
  it('upstream down: SERVFAIL within the timeout; a silent upstream fails over to the next', async () => {
    const deadPort = await freePort(); // nothing listens: ICMP port unreachable
    const silent = await new TestDnsServer().start();
    silent.behaviour = { kind: 'silent' };
    const good = await startDnsmasq();

    const onlyDead = await startForwarder([{ host: '127.0.0.1', port: deadPort }], { timeoutMs: 800 });
    let t = Date.now();
    const a = await answerOf(onlyDead.port, 'www.example.test', 'A');
    expect(a.status).toBe('SERVFAIL');
    expect(Date.now() - t).toBeLessThan(900);
    expect(onlyDead.sink.records.at(-1)?.error).toBe('connection refused');
    await onlyDead.close();

    const onlySilent = await startForwarder([{ host: '127.0.0.1', port: silent.port }], { timeoutMs: 500 });
    t = Date.now();
    const b = await answerOf(onlySilent.port, 'www.example.test', 'A');
    expect(b.status).toBe('SERVFAIL');
    expect(Date.now() - t).toBeGreaterThanOrEqual(450);
    expect(Date.now() - t).toBeLessThan(1500);
    expect(onlySilent.sink.records.at(-1)?.error).toBe('timeout');
    await onlySilent.close();

    const failover = await startForwarder(
      [
        { host: '127.0.0.1', port: silent.port },
        { host: '127.0.0.1', port: good.port },
      ],
      { timeoutMs: 400 },
    );
    const c = await answerOf(failover.port, 'www.example.test', 'A');
    expect(c.answers).toEqual(['www.example.test. IN A 192.0.2.10']);
    expect(failover.sink.records.at(-1)?.upstream).toBe(`127.0.0.1:${good.port}`);
    // After three failures the silent upstream is tried last: answers come without waiting for it.
    for (let i = 0; i < 3; i++) await answerOf(failover.port, `n${i}.wild.example.test`, 'A');
    t = Date.now();
    await answerOf(failover.port, 'quick.wild.example.test', 'A');
    expect(Date.now() - t).toBeLessThan(300);
    expect(failover.warnings.some((w) => w.code === 'upstream-failing')).toBe(true);
    await failover.close();
    await silent.stop();
    await good.stop();
  });

  it('an upstream SERVFAIL is retried on the next upstream', async () => {
    const bad = await new TestDnsServer().start();
    bad.behaviour = { kind: 'rcode', rcode: 'SERVFAIL' };
    const good = await new TestDnsServer().start();
    const f = await startForwarder([
      { host: '127.0.0.1', port: bad.port },
      { host: '127.0.0.1', port: good.port },
    ]);
    try {
      const a = await answerOf(f.port, 'sf.example.test', 'A');
      expect(a.answers).toEqual(['sf.example.test. IN A 192.0.2.200']);
    } finally {
      await f.close();
      await bad.stop();
      await good.stop();
    }
  });

  it('ignores a reply with the wrong ID and takes the right one', async () => {
    const tricky = await new TestDnsServer().start();
    tricky.behaviour = { kind: 'wrong-id-first', address: '192.0.2.55' };
    const f = await startForwarder([{ host: '127.0.0.1', port: tricky.port }]);
    try {
      const a = await answerOf(f.port, 'spoof.example.test', 'A');
      expect(a.answers).toEqual(['spoof.example.test. IN A 192.0.2.55']);
    } finally {
      await f.close();
      await tricky.stop();
    }
  });

  it('refuses sources outside the allowed ranges and counts them', async () => {
    const server = await new TestDnsServer().start();
    // Loopback is left out of the allowed ranges here, so this test's own queries are "foreign".
    const f = await startForwarder([{ host: '127.0.0.1', port: server.port }], { allow: ['10.0.0.0/8'] });
    try {
      const a = await answerOf(f.port, 'www.example.test', 'A');
      expect(a.status).toBe('REFUSED');
      expect(f.forwarder.counters().refused).toBe(1);
      expect(
        server.received.filter((m) => dnsPacket.decode(m).questions?.[0]?.name === 'www.example.test'),
      ).toHaveLength(0);
      expect(f.sink.records).toHaveLength(0);
      expect(f.warnings.map((w) => w.code)).toContain('refused-client');
    } finally {
      await f.close();
      await server.stop();
    }
  });

  it('drops malformed and random packets, counts them, and keeps answering', async () => {
    const server = await new TestDnsServer().start();
    const f = await startForwarder([{ host: '127.0.0.1', port: server.port }]);
    try {
      const s = dgram.createSocket('udp4');
      const send = (b: Buffer) => new Promise<void>((r) => s.send(b, f.port, '127.0.0.1', () => r()));
      const valid = Buffer.from(
        dnsPacket.encode({ id: 1, type: 'query', questions: [{ type: 'A', name: 'ok.test' }] }),
      );
      const response = Buffer.from(
        dnsPacket.encode({ id: 1, type: 'response', questions: [{ type: 'A', name: 'ok.test' }] }),
      );
      const cases = [
        Buffer.alloc(0),
        Buffer.from([1, 2, 3]),
        valid.subarray(0, 14), // question cut short
        Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), // pointer loop
        Buffer.from([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // no question
        Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 1, 0, 0, 1, 0, 1]), // extended label type
        response, // a response on the listening socket
      ];
      for (const c of cases) await send(c);
      for (let i = 0; i < 2000; i++) {
        const b = Buffer.alloc(Math.floor(Math.random() * 600));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
        if (b.length > 2) b[2] = b[2]! | 0x80; // mostly "responses" and junk; a few may parse as queries
        await send(b);
      }
      s.close();
      // TCP garbage: a length shorter than a header closes that connection only.
      await new Promise<void>((resolve) => {
        const t = net.connect(f.port, '127.0.0.1', () => t.write(Buffer.from([0, 3, 1, 2, 3])));
        t.on('close', () => resolve());
        t.on('error', () => resolve());
      });
      await waitFor(
        () => (f.forwarder.counters().malformed >= 6 ? true : undefined),
        3000,
        'malformed counter',
      );
      const c = f.forwarder.counters();
      expect(c.unexpectedResponses).toBeGreaterThanOrEqual(1);
      const a = await answerOf(f.port, 'still.example.test', 'A');
      expect(a.answers).toEqual(['still.example.test. IN A 192.0.2.200']);
    } finally {
      await f.close();
      await server.stop();
    }
  });

  it('detects a forwarding loop (the upstream sends our queries back), answers SERVFAIL and warns', async () => {
    // A "router" that forwards every query it gets to the forwarder, like a router pointed at this computer
    // while also being this computer's upstream.
    const router = dgram.createSocket('udp4');
    await new Promise<void>((r) => router.bind(0, '127.0.0.1', () => r()));
    const routerPort = router.address().port;
    const f = await startForwarder([{ host: '127.0.0.1', port: routerPort }], { timeoutMs: 800 });
    const pending = new Map<number, { port: number; address: string }>();
    let nextId = 1;
    router.on('message', (msg, rinfo) => {
      const d = dnsPacket.decode(msg);
      if (d.type === 'query') {
        const id = nextId++;
        pending.set(id, { port: rinfo.port, address: rinfo.address });
        router.send(dnsPacket.encode({ ...d, id }), f.port, '127.0.0.1');
      } else {
        const back = pending.get(d.id ?? -1);
        if (back) router.send(dnsPacket.encode({ ...d, id: 0 }), back.port, back.address);
      }
    });
    try {
      await waitFor(
        () => (f.warnings.some((w) => w.code === 'loop-detected') ? true : undefined),
        3000,
        'loop warning',
      );
      const t = Date.now();
      const a = await answerOf(f.port, 'www.example.test', 'A');
      expect(a.status).toBe('SERVFAIL');
      expect(Date.now() - t).toBeLessThan(500);
      expect(f.forwarder.counters().loops).toBeGreaterThanOrEqual(1);
      expect(f.warnings.find((w) => w.code === 'loop-detected')?.message).toContain(
        `127.0.0.1:${routerPort}`,
      );
      // The probe that came back is ours, not a client's: it is not in the log.
      expect(f.sink.records.some((r) => r.qname.includes('loop-check'))).toBe(false);
      expect(f.sink.records.at(-1)).toMatchObject({
        qname: 'www.example.test',
        rcode: 'SERVFAIL',
        error: 'loop',
      });
    } finally {
      router.close();
      await f.close();
    }
  });
});

describe('watchlist', () => {
  it('tags watched names and answers blocked ones itself: NXDOMAIN, or 0.0.0.0 / :: / NODATA', async () => {
    const { WatchService } = await import('../../electron/engine/watch/watch-service');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-block-'));
    const watch = await WatchService.open({ dataDir: dir });
    const server = await new TestDnsServer().start();
    const f = await startForwarder([{ host: '127.0.0.1', port: server.port }], { classify: watch.classify });
    const upstreamSaw = (name: string) =>
      server.received.filter((m) => dnsPacket.decode(m).questions?.[0]?.name === name).length;
    try {
      // Not blocked: forwarded, tagged with its rule.
      const open = await answerOf(f.port, 'a1.safethings.avira.com', 'A');
      expect(open.answers).toEqual(['a1.safethings.avira.com. IN A 192.0.2.200']);
      expect(f.sink.records.at(-1)).toMatchObject({ watchRule: 'avira-safethings', error: '' });
      await answerOf(f.port, 'www.example.test', 'A');
      expect(f.sink.records.at(-1)).toMatchObject({ watchRule: '' });

      await watch.update('avira-safethings', { block: 'nxdomain' });
      const nx = await answerOf(f.port, 'a2.safethings.avira.com', 'A');
      expect(nx.status).toBe('NXDOMAIN');
      expect(upstreamSaw('a2.safethings.avira.com')).toBe(0);
      expect(f.sink.records.at(-1)).toMatchObject({
        rcode: 'NXDOMAIN',
        error: 'blocked',
        watchRule: 'avira-safethings',
      });

      await watch.update('avira-safethings', { block: 'null' });
      expect((await answerOf(f.port, 'a3.safethings.avira.com', 'A')).answers).toEqual([
        'a3.safethings.avira.com. IN A 0.0.0.0',
      ]);
      expect((await answerOf(f.port, 'a3.safethings.avira.com', 'AAAA')).answers).toEqual([
        'a3.safethings.avira.com. IN AAAA ::',
      ]);
      const txt = await answerOf(f.port, 'a3.safethings.avira.com', 'TXT');
      expect(txt).toMatchObject({ status: 'NOERROR', answers: [] });
      expect(upstreamSaw('a3.safethings.avira.com')).toBe(0);
      expect(f.sink.records.at(-1)).toMatchObject({ error: 'blocked', answers: '' });
      // kdig parses the synthesised answers too.
      const k = await run('kdig', [
        '@127.0.0.1',
        '-p',
        String(f.port),
        '+short',
        'a4.safethings.avira.com',
        'A',
      ]);
      expect(k.stdout.trim()).toBe('0.0.0.0');
    } finally {
      await f.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('listening', () => {
  it('reports a busy port with a clear message instead of throwing', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    const port = holder.address().port;
    const { Forwarder } = await import('../../electron/engine/dns/forwarder');
    const { AccessList, DEFAULT_ALLOWED } = await import('../../electron/engine/dns/acl');
    const warnings: string[] = [];
    const fw = new Forwarder({
      listen: [{ host: '127.0.0.1', port }],
      upstreams: [],
      acl: new AccessList(DEFAULT_ALLOWED),
      timeoutMs: 500,
      maxInFlight: 10,
      sink: { record: () => {} },
      onWarning: (_c, m) => warnings.push(m),
    });
    try {
      const st = await fw.listen();
      const udp = st.find((s) => s.transport === 'udp')!;
      expect(udp.state).toBe('error');
      expect(udp.error).toMatch(
        new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} \\(UDP\\): the port is already in use`),
      );
      expect(warnings.some((w) => w.includes('already in use'))).toBe(true);
    } finally {
      await fw.close();
      holder.close();
    }
  });

  it('listens on IPv6 loopback too', async () => {
    const server = await new TestDnsServer().start();
    const f = await startForwarder([{ host: '127.0.0.1', port: server.port }], { host: '::1' });
    try {
      const r = await run('dig', ['@::1', '-p', String(f.port), '+short', '+tries=1', 'v6.example.test']);
      expect(r.stdout.trim()).toBe('192.0.2.200');
      expect(f.sink.records.at(-1)?.client).toBe('::1');
    } finally {
      await f.close();
      await server.stop();
    }
  });
});
