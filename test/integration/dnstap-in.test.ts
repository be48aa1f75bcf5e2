/**
 * dnstap in, from real servers: Unbound (dnstap-socket-path), Knot (mod-dnstap) and dnsdist (FrameStream
 * loggers) report the queries dig sends them to the built service, which lists exactly those names with the
 * clients' addresses.
 * Peers that break Frame Streams are dropped, one log line each, while a good peer and DNS go on. dnstap files
 * written by the reference `dnstap -w` and by /api/export.dnstap read back as the same names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../electron/engine/capture/types';
import { dataFrames } from '../../electron/engine/dnstap/encode';
import { readDnstapFile } from '../../electron/engine/dnstap/file';
import { CONTROL, controlFrame, DNSTAP_CONTENT_TYPE } from '../../electron/engine/dnstap/frame-streams';
import { exchangeFrames } from '../helpers/dnstap-peer';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { dig, freePort, requireTool, run, waitFor } from '../helpers/tools';

interface ApiEvent {
  qname: string;
  qtype: string;
  client_ip: string;
  rcode: string;
  answers: string;
  source: string;
  upstream: string;
  watch_rule: string;
}

interface Health {
  ok: boolean;
  dns: string[];
  problems: { code: string }[];
  dnstap_in?: { peers: number; records: number; messages: number; peers_dropped: number; sources: string[] };
}

async function health(s: Served): Promise<Health> {
  return (await (await fetch(`${s.base}/api/health`)).json()) as Health;
}

/** Waits until the capture holds `n` queries, then returns them (oldest first). */
async function capturedQueries(s: Served, n: number): Promise<ApiEvent[]> {
  return waitFor(
    async () => {
      const page = (await (await fetch(`${s.base}/api/queries?limit=1000`)).json()) as {
        total: number;
        events: ApiEvent[];
      };
      return page.total >= n ? page.events.reverse() : undefined;
    },
    10_000,
    `${n} observed queries in the capture`,
  );
}

interface Proc {
  output(): string;
  stop(): Promise<void>;
}

function spawnProc(cmd: string, args: readonly string[]): Proc {
  const child: ChildProcess = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function listeningUdp(port: number): Promise<true | undefined> {
  return (await run('ss', ['-Hlun', `sport = :${port}`])).stdout.includes(`:${port}`) || undefined;
}

/** The names Unbound serves from a local zone: it never recurses, so it never leaves loopback. */
const UNBOUND_NAMES = ['one.dnstap-in.test', 'two.dnstap-in.test', 'three.dnstap-in.test'];

/** Unbound on 127.0.0.1 (random port) reporting client queries and responses to `socketPath`. */
async function startUnbound(dir: string, socketPath: string): Promise<Proc & { port: number }> {
  requireTool('unbound', 'unbound');
  const port = await freePort();
  const conf = path.join(dir, `unbound-${port}.conf`);
  await writeFile(
    conf,
    [
      'server:',
      `  interface: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  do-ip6: no',
      '  num-threads: 1',
      '  so-reuseport: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  logfile: ""',
      '  do-daemonize: no',
      '  module-config: "iterator"',
      '  access-control: 127.0.0.0/8 allow',
      // Everything but the test zone is refused: no root hints are ever used.
      '  local-zone: "." refuse',
      '  local-zone: "dnstap-in.test." static',
      ...UNBOUND_NAMES.map((n, i) => `  local-data: "${n}. 60 IN A 192.0.2.${i + 1}"`),
      'dnstap:',
      '  dnstap-enable: yes',
      `  dnstap-socket-path: "${socketPath}"`,
      '  dnstap-send-identity: yes',
      '  dnstap-send-version: yes',
      '  dnstap-identity: "unbound-test"',
      '  dnstap-log-client-query-messages: yes',
      '  dnstap-log-client-response-messages: yes',
      '',
    ].join('\n'),
  );
  const proc = spawnProc('unbound', ['-d', '-c', conf]);
  await waitFor(() => listeningUdp(port), 10_000, `unbound on port ${port} (${proc.output()})`);
  return { ...proc, port };
}

/** Knot serves these from its own zone file; it is authoritative only. */
const KNOT_NAMES = ['one.knot.test', 'two.knot.test', 'three.knot.test'];

/** dig from a chosen loopback source address, so the client address in the capture is one we know. */
function digFrom(source: string, port: number, name: string, type = 'A') {
  return dig(port, name, type, ['-b', source]);
}

describe('dnstap in', () => {
  let upstream: Dnsmasq;
  let dir = '';
  beforeAll(async () => {
    upstream = await startDnsmasq();
    dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-dnstap-in-'));
  });
  afterAll(async () => {
    await upstream?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('records what Unbound reports over a unix socket, with no DNS listener of its own', async () => {
    requireTool('unbound', 'unbound');
    const sock = path.join(dir, 'unbound-in.sock');
    const served = await startServe(0, { dns: false, args: ['--dnstap-in', `unix:${sock}`] });
    let unbound: Proc | null = null;
    try {
      expect(served.output()).toContain(`observing resolvers through dnstap on unix:${sock}`);
      expect(served.output()).not.toContain('answering DNS');
      const u = await startUnbound(dir, sock);
      unbound = u;
      await waitFor(
        async () => ((await health(served)).dnstap_in?.peers ?? 0) >= 1 || undefined,
        10_000,
        'unbound to connect',
      );
      for (const name of UNBOUND_NAMES) {
        const r = await digFrom('127.0.0.7', u.port, name);
        expect(r.stdout).toMatch(/\tIN\tA\t192\.0\.2\.\d\n/);
      }
      const events = await capturedQueries(served, UNBOUND_NAMES.length);
      console.log(`Unbound reported:\n${JSON.stringify(events.slice(0, 1), null, 1)}`);
      expect(events.map((e) => e.qname)).toEqual(UNBOUND_NAMES);
      for (const e of events) {
        expect(e.client_ip).toBe('127.0.0.7');
        expect(e.rcode).toBe('NOERROR');
        expect(e.upstream).toBe('');
        expect(e.source).toMatch(/^dnstap: unbound-test \(unbound 1\.\d+\.\d+\) via unix:/);
        expect(e.source.endsWith(`via unix:${sock}`)).toBe(true);
      }
      const h = await health(served);
      expect(h.ok).toBe(true);
      expect(h.dns).toEqual([]);
      expect(h.problems).toEqual([]);
      expect(h.dnstap_in?.records).toBe(UNBOUND_NAMES.length);
      expect(h.dnstap_in?.sources[0]).toMatch(/^unbound-test \(unbound 1\./);

      // The capture's own dnstap export reads back as the same names.
      const res = await fetch(`${served.base}/api/export.dnstap`);
      expect(res.status).toBe(200);
      const file = path.join(dir, 'observed.dnstap');
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      const back: ExchangeRecord[] = [];
      for await (const rec of readDnstapFile(file)) back.push(rec);
      expect(back.map((r) => r.qname)).toEqual(UNBOUND_NAMES);
      expect(back.every((r) => r.client === '127.0.0.7' && r.rcode === 'NOERROR')).toBe(true);
      expect(back[0]!.source).toMatch(/^dnstap: .+ \(DNS Witness \d.*\) via file observed\.dnstap$/);
    } finally {
      await unbound?.stop();
      await served.stop();
    }
  });

  it('records what Knot DNS reports through its dnstap module', async () => {
    requireTool('knotd', 'knot knot-module-dnstap');
    const sock = path.join(dir, 'knot-in.sock');
    const served = await startServe(0, { dns: false, args: ['--dnstap-in', `unix:${sock}`] });
    const port = await freePort();
    const kdir = await mkdtemp(path.join(dir, 'knot-'));
    await writeFile(
      path.join(kdir, 'knot.test.zone'),
      ['$ORIGIN knot.test.', '$TTL 60', '@ SOA ns admin 1 3600 600 86400 60', '@ NS ns', 'ns A 192.0.2.53']
        .concat(KNOT_NAMES.map((n, i) => `${n.split('.')[0]} A 192.0.2.${i + 1}`))
        .join('\n') + '\n',
    );
    const conf = path.join(kdir, 'knot.conf');
    await writeFile(
      conf,
      [
        'server:',
        `    rundir: "${kdir}"`,
        `    listen: 127.0.0.1@${port}`,
        'log:',
        '  - target: stderr',
        '    any: info',
        'mod-dnstap:',
        '  - id: witness',
        `    sink: unix:${sock}`,
        '    identity: knot-test',
        '    log-queries: on',
        '    log-responses: on',
        'template:',
        '  - id: default',
        `    storage: "${kdir}"`,
        '    global-module: mod-dnstap/witness',
        'zone:',
        '  - domain: knot.test',
        '    file: "knot.test.zone"',
        '',
      ].join('\n'),
    );
    const knot = spawnProc('knotd', ['-c', conf]);
    try {
      await waitFor(() => listeningUdp(port), 10_000, `knotd on port ${port} (${knot.output()})`);
      for (const name of KNOT_NAMES) {
        const r = await digFrom('127.0.0.11', port, name);
        expect(r.stdout).toMatch(/\tIN\tA\t192\.0\.2\.\d\n/);
      }
      const events = await capturedQueries(served, KNOT_NAMES.length);
      // Knot's worker threads have a dnstap queue each: their messages need not arrive in the order asked.
      expect(events.map((e) => e.qname).sort()).toEqual([...KNOT_NAMES].sort());
      for (const e of events) {
        expect(e.client_ip).toBe('127.0.0.11');
        expect(e.rcode).toBe('NOERROR');
        expect(e.source).toBe(
          `dnstap: knot-test (Knot DNS ${/version (\S+)/.exec((await run('knotd', ['-V'])).stdout)?.[1]}) via unix:${sock}`,
        );
      }
    } finally {
      await knot.stop();
      await served.stop();
    }
  });

  for (const kind of ['unix', 'tcp'] as const)
    it(`records what dnsdist reports through newFrameStream${kind === 'unix' ? 'Unix' : 'Tcp'}Logger`, async () => {
      requireTool('dnsdist', 'dnsdist');
      let target: string;
      let logger: string;
      if (kind === 'unix') {
        const sock = path.join(dir, 'dnsdist-in.sock');
        target = `unix:${sock}`;
        logger = `newFrameStreamUnixLogger('${sock}')`;
      } else {
        const port = await freePort();
        target = `tcp:127.0.0.1:${port}`;
        logger = `newFrameStreamTcpLogger('127.0.0.1:${port}')`;
      }
      const served = await startServe(upstream.port, {
        args: ['--dnstap-in', target, '--router', '127.0.0.8'],
      });
      const port = await freePort();
      const conf = path.join(dir, `dnsdist-${port}.conf`);
      await writeFile(
        conf,
        [
          // No security-status polling: nothing but loopback.
          "setSecurityPollSuffix('')",
          `setLocal('127.0.0.1:${port}')`,
          `newServer({address='127.0.0.1:${upstream.port}', checkName='www.example.test.'})`,
          `fs = ${logger}`,
          "addAction(AllRule(), DnstapLogAction('dnsdist-test', fs))",
          "addResponseAction(AllRule(), DnstapLogResponseAction('dnsdist-test', fs))",
          '',
        ].join('\n'),
      );
      const dnsdist = spawnProc('dnsdist', ['--supervised', '--disable-syslog', '-C', conf]);
      try {
        await waitFor(() => listeningUdp(port), 10_000, `dnsdist on port ${port} (${dnsdist.output()})`);
        const asked: [string, string][] = [
          ['www.example.test', 'A'],
          ['txt.example.test', 'TXT'],
          ['dfp-dual.safethings.avira.com', 'A'],
          ['nothing.example.test', 'A'],
        ];
        for (const [name, type] of asked) await digFrom('127.0.0.8', port, name, type);
        const events = await capturedQueries(served, asked.length);
        expect(events.map((e) => [e.qname, e.qtype])).toEqual(asked);
        expect(events.map((e) => e.rcode)).toEqual(['NOERROR', 'NOERROR', 'NOERROR', 'NXDOMAIN']);
        expect(events[0]!.answers).toBe('192.0.2.10');
        for (const e of events) {
          expect(e.client_ip).toBe('127.0.0.8');
          expect(e.source).toMatch(/^dnstap: dnsdist-test \(dnsdist 1\.[\d.]+\) via /);
          expect(e.source.endsWith(` via ${target}`)).toBe(true);
        }
        // The watchlist marks the observed router's telemetry lookup as it does a forwarded one.
        expect(events[2]!.watch_rule).not.toBe('');
        const summary = (await (await fetch(`${served.base}/api/summary`)).json()) as unknown;
        expect(JSON.stringify(summary)).toContain('127.0.0.8');
        // DNS Witness's own listener still answers beside the input.
        expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('192.0.2.10');
      } finally {
        await dnsdist.stop();
        await served.stop();
      }
    });

  it('drops peers that break Frame Streams, one log line each, while a good peer and DNS go on', async () => {
    const sock = path.join(dir, 'hostile.sock');
    const tcpPort = await freePort();
    const served = await startServe(upstream.port, {
      args: ['--dnstap-in', `unix:${sock}`, '--dnstap-in', `tcp:127.0.0.1:${tcpPort}`],
    });
    try {
      const start = controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]);
      const good = exchangeFrames(Array.from({ length: 20 }, (_, i) => `good${i}.example`));
      const bad: [string, net.NetConnectOpts, Buffer, string][] = [
        [
          'garbage inside the stream',
          { path: sock },
          Buffer.concat([start, dataFrames([Buffer.from('\xff\xfe not protobuf \x00\x01', 'latin1')])]),
          'sent a data frame that is not a dnstap message',
        ],
        [
          'an HTTP request',
          { host: '127.0.0.1', port: tcpPort },
          Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
          'sent a data frame of 1195725856 bytes (over the 262144-byte limit)',
        ],
        [
          'the wrong content type',
          { path: sock },
          controlFrame(CONTROL.READY, ['protobuf:something.Else']),
          'offers protobuf:something.Else, not protobuf:dnstap.Dnstap',
        ],
        ['no START', { host: '127.0.0.1', port: tcpPort }, good.subarray(0, 200), 'sent data before START'],
        [
          'an oversized frame',
          { path: sock },
          Buffer.concat([start, Buffer.from([0x01, 0x00, 0x00, 0x00])]),
          'sent a data frame of 16777216 bytes (over the 262144-byte limit)',
        ],
      ];
      // The good peer opens first and stays connected while the others misbehave.
      const goodPeer = net.createConnection({ host: '127.0.0.1', port: tcpPort });
      await new Promise((r) => goodPeer.once('connect', r));
      goodPeer.write(start);
      for (const [, opts, bytes] of bad) {
        const s = net.createConnection(opts);
        s.on('error', () => undefined);
        s.write(bytes);
        await new Promise((r) => s.once('close', r));
      }
      goodPeer.end(Buffer.concat([good, controlFrame(CONTROL.STOP)]));
      const events = await capturedQueries(served, 20);
      expect(events.map((e) => e.qname)).toEqual(Array.from({ length: 20 }, (_, i) => `good${i}.example`));
      const log = served.output();
      for (const [what, , , reason] of bad) {
        const lines = log.split('\n').filter((l) => l.includes('dnstap: dropped') && l.endsWith(reason));
        expect(lines, what).toHaveLength(1);
      }
      const h = await health(served);
      expect(h.dnstap_in?.peers_dropped).toBe(bad.length);
      expect(h.dnstap_in?.records).toBe(20);
      expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('192.0.2.10');
    } finally {
      await served.stop();
    }
  });

  it('reads a file `dnstap -w` wrote from Unbound as the names asked, in order', async () => {
    requireTool('dnstap', 'golang-github-dnstap-golang-dnstap-cli');
    const sock = path.join(dir, 'writer.sock');
    const file = path.join(dir, 'unbound.dnstap');
    const writer = spawnProc('dnstap', ['-u', sock, '-w', file]);
    let unbound: Proc | null = null;
    try {
      await waitFor(() => writer.output().includes('opened input socket') || undefined, 5000, 'dnstap -u');
      const u = await startUnbound(dir, sock);
      unbound = u;
      // dnstap 0.4.0 writes the file through a 64 KiB buffer that it flushes only when full (it has no
      // signal handling that would close the file), so ask enough to fill it: the file then holds a prefix.
      const asked = Array.from({ length: 1000 }, (_, i) => `q${i}.dnstap-in.test`);
      const batch = path.join(dir, 'batch.txt');
      await writeFile(batch, asked.map((n) => `${n} A\n`).join(''));
      const r = await run('dig', [
        '@127.0.0.1',
        '-p',
        String(u.port),
        '-b',
        '127.0.0.9',
        '+tries=1',
        '-f',
        batch,
      ]);
      expect(r.code).toBe(0);
      await waitFor(async () => ((await stat(file)).size > 65_536 ? true : undefined), 10_000, 'a flush');
      const back: ExchangeRecord[] = [];
      for await (const rec of readDnstapFile(file)) back.push(rec);
      console.log(`read ${back.length} exchanges from ${(await stat(file)).size} bytes dnstap -w wrote`);
      expect(back.length).toBeGreaterThan(100);
      expect(back.map((rec) => rec.qname)).toEqual(asked.slice(0, back.length));
      // Every exchange but perhaps the last (its response beyond the flush) has Unbound's NXDOMAIN.
      expect(back.slice(0, -1).every((rec) => rec.client === '127.0.0.9' && rec.rcode === 'NXDOMAIN')).toBe(
        true,
      );
      expect(back[0]!.source).toMatch(
        /^dnstap: unbound-test \(unbound 1\.[\d.]+\) via file unbound\.dnstap$/,
      );
    } finally {
      await unbound?.stop();
      await writer.stop();
    }
  });
});
